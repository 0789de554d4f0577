// One wait, stated the same everywhere: in details, in `retry-after-ms` and in `retry-after`.

// The openai SDK honours a wait only when it is under 60 s (`< 60_000`), the Vercel AI SDK likewise:
// a longer one would be replaced by their own short backoff. So the longest wait we state is 59 s.
export const MAX_RETRY_AFTER_MS = 59_000

/**
 * The longest wait a retry is advised for. A minute's window still counts (stated as 59 s); a longer
 * wait is beyond what clients sleep through, so retrying would fail again: no retry is advised and
 * only the details say when.
 */
export const LONGEST_ADVISED_WAIT_MS = 60_000

/** Codes whose wait is for capacity every client shares: their waits get jitter by default. */
export const SHARED_CAPACITY_CODES = ['service_unavailable', 'model_unavailable', 'no_provider_available'] as const

/** How waits are spread: `ratio` of the wait, at most, is added at random, for these codes. */
export interface RetryJitter {
  ratio: number
  codes: ReadonlySet<string>
}

/**
 * The wait plus up to `ratio` of it at random, still capped: clients told to wait 1 s come back
 * over 1–1.5 s instead of in the same instant. Never shorter than the wait the server needs.
 */
export function jitteredWait (wait: number, ratio: number): number {
  return Math.min(MAX_RETRY_AFTER_MS, wait + Math.floor(Math.random() * wait * ratio))
}

/**
 * Whether the details of a rate limit say that no wait can cure it: a limit of zero. Such a refusal
 * is no rate limit to retry.
 */
export function noWaitCures (details: unknown): boolean {
  try {
    // Stryker disable next-line OptionalChaining: reading a limit of null throws, and is caught: the same false
    return (details as { limit?: unknown } | null | undefined)?.limit === 0
  } catch {
    return false // details that cannot be read are dropped later; the code stands
  }
}

/** Whether the details ask for a wait longer than any client sleeps through. */
export function waitTooLong (details: Record<string, unknown>): boolean {
  const asked = details.retry_after_ms
  return typeof asked === 'number' && asked > LONGEST_ADVISED_WAIT_MS
}

/** A wait in ms, rounded up to whole ms and capped; undefined when it is not a usable number. */
export function capWait (ms: unknown): number | undefined {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0
    ? Math.min(
      Math.ceil(ms),
      MAX_RETRY_AFTER_MS
    )
    : undefined
}

const DELTA_SECONDS = /^\s*\d+(?:\.\d+)?\s*$/
const HTTP_DATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/

/**
 * A `Retry-After` value (delay-seconds, or an HTTP date) as ms from `now`, uncapped: the caller
 * decides what a wait beyond the cap means. Undefined when the value is neither.
 */
export function parseRetryAfter (value: unknown, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (typeof text === 'number') return text >= 0 && Number.isFinite(text) ? text * 1000 : undefined
  if (typeof text !== 'string' || text.length > 64) return undefined
  if (DELTA_SECONDS.test(text)) return Number(text) * 1000
  if (!HTTP_DATE.test(text)) return undefined // Date.parse takes '-1' as a year
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** A `retry-after-ms` value: a non-negative number of ms. */
export function parseRetryAfterMs (value: unknown): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (typeof text !== 'string' && typeof text !== 'number') return undefined
  const ms = Number(text)
  return String(text).trim() !== '' && Number.isFinite(ms) && ms >= 0 ? ms : undefined
}
