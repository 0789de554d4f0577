// How long a provider asked to wait, from whichever of its ways of saying it is present.
import { parseRetryAfter, parseRetryAfterMs } from '../catalog/retry-after'
import { compose } from './patterns'

type HeaderBag = Headers | Record<string, string | string[] | undefined> | undefined

export function headerValue (headers: HeaderBag, name: string): string | undefined {
  if (headers === undefined) return undefined
  const value = typeof (headers as Headers).get === 'function'
    ? (headers as Headers).get(name)
    : (
        headers as Record<string,
    unknown>
      )[name]
  const first = Array.isArray(value) ? value[0] : value
  return typeof first === 'string' ? first.slice(0, 64) : undefined
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const DURATION_PART = /(\d{1,9}(?:\.\d{1,12})?)(ms|s|m|h)/g
const DURATION = /^(?:\d{1,9}(?:\.\d{1,12})?(?:ms|s|m|h)){1,4}$/

/** OpenAI's `x-ratelimit-reset-*` durations: "1m30s", "20ms", "6.5s" (and the waits messages state). */
export function parseDuration (value: string | undefined): number | undefined {
  if (value === undefined || !DURATION.test(value)) return undefined
  let total = 0
  for (const [
    ,
    amount,
    unit
  ] of value.matchAll(DURATION_PART)) total += Number(amount) * (UNIT_MS[unit as string] as number)
  return total
}

// OpenAI and Groq say it in the message too: "Please try again in 6.780999999s", "in 1m0.36s", "in 644ms"
const MESSAGE_WAIT = /try again in ((?:\d{1,9}(?:\.\d{1,12})?(?:ms|s|m|h)){1,4})\b/i
// And in words: "Please retry after 9 seconds" (Azure), "Try again in 30 seconds", "Please retry in
// 20.04s" (Gemini), "please wait 5 seconds", with the unit spelt out or not.
const WORDS_WAIT = compose(
  String.raw`(?:retry|try again|wait)(?: after| in| for)? (\d{1,9}(?:\.\d{1,12})?) ?` +
    '(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|h)\\b',
  'i'
)
const WORD_UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, s: 1000 }

function wordsWait (message: string): number | undefined {
  const match = WORDS_WAIT.exec(message)
  if (match === null) return undefined
  const unit = (match[2] as string).toLowerCase()
  const ms = unit.startsWith('ms') || unit.startsWith('milli') ? 1 : WORD_UNIT_MS[unit[0] as string] as number
  return Number(match[1]) * ms
}

function messageWait (body: unknown): number | undefined {
  const root = (Array.isArray(body) ? body[0] : body) as {
    error?: { message?: unknown },
    message?: unknown
  } | undefined
  const message = root?.error?.message ?? root?.message
  if (typeof message !== 'string') return undefined
  const text = message.slice(0, 2000)
  const match = MESSAGE_WAIT.exec(text)
  return match === null ? wordsWait(text) : parseDuration(match[1])
}

/** Gemini's `RetryInfo.retryDelay`, e.g. "37s" or "0.5s", inside `error.details`. */
function geminiRetryDelay (body: unknown): number | undefined {
  const root = Array.isArray(body) ? body[0] : body
  const details = (root as { error?: { details?: unknown } } | undefined)?.error?.details
  if (!Array.isArray(details)) return undefined
  for (const item of details.slice(0, 8)) {
    const delay = (item as { retryDelay?: unknown } | null)?.retryDelay
    if (typeof delay === 'string') return parseDuration(delay)
  }
  return undefined
}

/** The wait a provider stated, in ms, uncapped; undefined when it stated none. */
export function providerWait (headers: HeaderBag, body: unknown, now = Date.now()): number | undefined {
  const direct = parseRetryAfterMs(headerValue(headers, 'retry-after-ms')) ??
    parseRetryAfterMs(headerValue(headers, 'x-ms-retry-after-ms')) ??
    parseRetryAfter(headerValue(headers, 'retry-after'), now)
  if (direct !== undefined) return direct
  const resets = [
    parseDuration(headerValue(headers, 'x-ratelimit-reset-requests')),
    parseDuration(headerValue(headers, 'x-ratelimit-reset-tokens'))
  ]
  for (const limit of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
    const name = `anthropic-ratelimit-${limit}-reset`
    const at = headerValue(headers, name)
    // Stryker disable next-line Regex: Date.parse refuses an ISO date with anything before it, anchored or not
    const time = at === undefined || !/^\d{4}-\d{2}-\d{2}T/.test(at) ? Number.NaN : Date.parse(at)
    resets.push(Number.isNaN(time) ? undefined : Math.max(0, time - now))
  }
  const known = resets.filter((value): value is number => value !== undefined)
  if (known.length > 0) return Math.max(...known) // which limit was hit is not said: wait for all
  return geminiRetryDelay(body) ?? messageWait(body)
}
