// Per code, everything about a reply that does not depend on the request: computed once.
import { catalog, codes, type GatewayErrorCode } from './catalog'
import type { ResolvedEntry } from './envelopes'
import { messageFor } from './message'

type Mutable = { -readonly [K in keyof ResolvedEntry]: ResolvedEntry[K] }

function resolve (code: GatewayErrorCode): ResolvedEntry {
  const entry = catalog[code]
  const resolved = {
    code,
    status: entry.status,
    message: entry.message,
    plainMessage: messageFor(code, undefined),
    type: entry.type,
    param: entry.param,
    retryable: entry.retryable,
    overload: entry.overload,
    shouldRetry: entry.retryable ? 'true' : 'false'
  } as Mutable
  if (entry.retryable) {
    const unretryable: Mutable = { ...resolved, retryable: false, shouldRetry: 'false' }
    unretryable.unretryable = unretryable
    resolved.unretryable = Object.freeze(unretryable)
  } else {
    resolved.unretryable = resolved
  }
  return Object.freeze(resolved)
}

// No prototype: `resolvedEntries[anything]` is an entry or undefined, never Object.prototype's members.
export const resolvedEntries: Readonly<Record<GatewayErrorCode, ResolvedEntry>> = Object.assign(
  Object.create(null) as Record<GatewayErrorCode, ResolvedEntry>,
  Object.fromEntries(codes.map((code) => [code, resolve(code)]))
)

/** For a code added to the catalog after start-up (`extraCodes`). */
export function resolveAdded (code: GatewayErrorCode): void {
  (resolvedEntries as Record<GatewayErrorCode, ResolvedEntry>)[code] = resolve(code)
}
