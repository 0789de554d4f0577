// One wait, stated the same everywhere: in details, in `retry-after-ms` and in `retry-after`.

// The openai SDK honours a wait only when it is under 60 s (`< 60_000`), the Vercel AI SDK likewise:
// a longer one would be replaced by their own short backoff. So the longest wait we state is 59 s.
export const MAX_RETRY_AFTER_MS = 59_000

/** A wait in ms, rounded up to whole ms and capped; undefined when it is not a usable number. */
export function capWait (ms: unknown): number | undefined {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? Math.min(Math.ceil(ms), MAX_RETRY_AFTER_MS) : undefined
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
