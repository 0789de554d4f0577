// RFC 6238 TOTP: HMAC-SHA1, 30 s steps, 6 digits, over a base32 secret.
import { createHmac, timingSafeEqual } from 'node:crypto'

export const TOTP_STEP_MS = 30_000
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function totpStep (at = Date.now()): number {
  return Math.floor(at / TOTP_STEP_MS)
}

export function totp (secretBase32: string, step = totpStep()): string {
  let bits = ''
  for (const char of secretBase32.replace(/=+$/, '')) bits += ALPHABET.indexOf(char).toString(2).padStart(5, '0')
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(step))
  const hmac = createHmac('sha1', key).update(counter).digest()
  const offset = (hmac[hmac.length - 1] as number) & 0xf
  return String((hmac.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, '0')
}

/**
 * The step whose code this is: the current step or the one before (a code typed as it changed),
 * never a later one. The caller then accepts each step once.
 */
export function matchingStep (secretBase32: string, code: string, at = Date.now()): number | undefined {
  const now = totpStep(at)
  for (const step of [now, now - 1]) {
    const expected = Buffer.from(totp(secretBase32, step))
    const given = Buffer.from(code)
    if (given.length === expected.length && timingSafeEqual(given, expected)) return step
  }
  return undefined
}
