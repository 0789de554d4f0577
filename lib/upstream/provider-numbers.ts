// The numbers a provider states in its words: token counts against a context window, and requests
// larger than a per-minute allowance (which no wait cures).
import { anyOf, compose, followedWithin } from './patterns'

// A request larger than a per-minute limit: "Request too large", "Requested 250000 … Limit 30000",
// "exceeds … per minute" (each second part looked for near the first, see followedWithin).
const TOO_LARGE = /request too large/i
const REQUESTED = /requested ~?\d/gi
const LIMIT_NUMBER = /limit \d/i
const EXCEEDS = /exceeds? /gi
const PER_MINUTE = /per.?minute/i

// Groq states the allowance first: "Limit 7000, Used 0, Requested ~12903": more than the limit can never pass.
const LIMIT_VALUE = /\blimit (\d{1,9})\b/i
const REQUESTED_VALUE = /\brequested ~?(\d{1,9})\b/i

export function perMinuteTooLarge (words: string): boolean {
  const limit = LIMIT_VALUE.exec(words)
  const requested = REQUESTED_VALUE.exec(words)
  // In one sentence (within 112 characters of each other), as followedWithin reads the other order.
  if (limit !== null && requested !== null && Math.abs(limit.index - requested.index) <= 112 &&
    Number(requested[1]) > Number(limit[1])) return true
  return TOO_LARGE.test(words) || followedWithin(words, REQUESTED, LIMIT_NUMBER, 112) ||
    followedWithin(words, EXCEEDS, PER_MINUTE, 70)
}
const TOKENS_OVER_MAX = /(\d{1,9}) tokens > (\d{1,9})/
// llama-cpp-python, DeepInfra: "Requested tokens (2285) exceed context window of 2048"
const TOKENS_OVER_WINDOW = /tokens \((\d{1,9})\) exceeds? (?:the )?context window of (\d{1,9})/i
const TOKEN_COUNT_OVER_MAX = /token count \((\d{1,9})\) exceeds the maximum number of tokens allowed \((\d{1,9})\)/i
const REQUESTED_TOKENS = compose(`(?:${anyOf([
  'resulted in', 'requested', 'you requested', 'input has', 'contains', 'has', 'too long:', 'received', 'given:'
]).source}) (\\d{1,9})`, 'i')
// text-generation-inference counts the input and the tokens asked for: "Given: 1244 `inputs` tokens
// and 1000 `max_new_tokens`"
const GIVEN_SUM = /given: (\d{1,9}) `?inputs`? tokens and (\d{1,9})/i
const MAX_TOKENS = compose(`(?:${anyOf([
  'maximum context length is', 'maximum context length:', 'maximum prompt length is', 'context window is',
    'limit is', 'maximum of', 'at most',
  'cannot exceed', 'must be <=', 'less than'
]).source}) (\\d{1,9})`, 'i')

function numberAfter (message: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(message)
  const value = match === null ? Number.NaN : Number(match[1])
  return Number.isSafeInteger(value) ? value : undefined
}

// Mistral puts the number first: "too large for model with 32768 maximum context length"
const MAX_BEFORE = /(\d{1,9}) maximum context length/i

export function contextNumbers (message: string, counts: { requested?: number, max?: number }): Record<string, number> {
  const pair = TOKENS_OVER_MAX.exec(message) ?? TOKEN_COUNT_OVER_MAX.exec(message) ?? TOKENS_OVER_WINDOW.exec(message)
  const sum = GIVEN_SUM.exec(message)
  const requested = counts.requested ?? (pair !== null
    ? Number(pair[1])
    : sum !== null ? Number(sum[1]) + Number(sum[2]) : numberAfter(message, REQUESTED_TOKENS))
  const stated = numberAfter(message, MAX_TOKENS) ?? numberAfter(message, MAX_BEFORE)
  const max = counts.max ?? (pair !== null ? Number(pair[2]) : stated)
  return requested !== undefined && max !== undefined ? { requested_tokens: requested, max_context_tokens: max } : {}
}
