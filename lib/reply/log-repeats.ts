// Logs of causes that repeat. During an outage every request fails the same way: each reply is
// still a catalog error, but logging each cause in full (message and stack, thousands a second)
// buries the logs. The first occurrence of a cause is logged in full; later ones in the same
// interval are counted, and one line per cause says how many there were. A cause that stops
// repeating is forgotten, so when it returns it is logged in full again.
import type { FastifyBaseLogger } from 'fastify'
import { PREFIX } from '../options'

interface Repeats {
  code: string
  cause: string
  count: number
  level: 'warn' | 'error'
  lastRequestId: string
}

/** Causes kept at once; beyond, further new causes are counted together under one line. */
const MAX_CAUSES = 1000
const OVERFLOW = '(other causes, beyond the first 1,000)'

function causeKey (error: unknown): string {
  if (error === null || typeof error !== 'object') return String(error).slice(0, 200)
  const { name, code, message } = error as { name?: unknown, code?: unknown, message?: unknown }
  return `${String(name)}${code === undefined ? '' : ` ${String(code)}`}: ${String(message).slice(0, 200)}`
}

export interface RepeatedCauses {
  /** True when the cause is to be logged in full now; false when it was counted. */
  firstOf (code: string, error: unknown, level: 'warn' | 'error', requestId: string): boolean
  /** Writes one line per cause that repeated since the last flush. */
  flush (): void
  stop (): void
}

export function createRepeatedCauses (log: FastifyBaseLogger, intervalMs: number): RepeatedCauses {
  const seen = new Map<string, Repeats>()
  let timer: NodeJS.Timeout | undefined

  function flush (): void {
    for (const [key, entry] of seen) {
      if (entry.count === 0) {
        seen.delete(key)
        continue
      }
      const { code, cause, count, lastRequestId } = entry
      const line = `${PREFIX}: ${code}, caused by the same error ${count} more times`
      log[entry.level]({ code, cause, repeated: count, intervalMs, lastRequestId }, line)
      entry.count = 0
    }
    if (seen.size === 0 && timer !== undefined) {
      clearInterval(timer)
      timer = undefined
    }
  }

  return {
    firstOf (code, error, level, requestId) {
      let key = `${code}\n${causeKey(error)}`
      let entry = seen.get(key)
      if (entry === undefined && seen.size >= MAX_CAUSES) {
        key = `${code}\n${OVERFLOW}`
        entry = seen.get(key)
      }
      if (entry !== undefined) {
        entry.count++
        entry.lastRequestId = requestId
        return false
      }
      seen.set(key, { code, cause: key.slice(code.length + 1), count: 0, level, lastRequestId: requestId })
      timer ??= setInterval(flush, intervalMs).unref()
      return !key.endsWith(OVERFLOW)
    },
    flush,
    stop () {
      flush()
      clearInterval(timer)
      timer = undefined
    }
  }
}
