// Server-sent events as bytes and as text: where a chunk's last complete event ends, how many events
// a segment holds (natively: one search per line end, byte by byte once events are tiny), and which
// events are a provider's error (OpenAI-style `data: {"error":…}`, Anthropic `event: error`,
// OpenRouter's chunk with `finish_reason: "error"`, Gemini's safety stop or bare JSON error).
import { GatewayError, trustDetails } from '../reply/gateway-error'
import { isSafetyBlock, statusOfError, translateProviderError } from './provider-errors'

export const LF = 10
export const CR = 13
export const LF_BLANK = Buffer.from('\n\n')
/** Every blank line SSE allows: LF LF, CRLF CRLF (and LF CRLF), CR CR. */
export const ANY_BLANK = [LF_BLANK, Buffer.from('\n\r\n'), Buffer.from('\r\r')] as const
export const EVENT_END = '\n\n'
/** After this many line ends, if they came closer than DENSE_LF_BYTES apart, the rest are counted byte by byte. */
const DENSE_CHECK = 32
const DENSE_LF_BYTES = 16

export function failure (code: 'upstream_error' | 'content_filtered', provider: string, cause?: unknown): GatewayError {
  return trustDetails(new GatewayError(code, { provider }, cause === undefined ? undefined : { cause }))
}

function dataOf (block: string): { event: string | undefined, data: string } {
  let event: string | undefined
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim()
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
  }
  // Gemini has ended a stream with a bare JSON error object, outside the SSE format
  if (event === undefined && data.length === 0 && /^\s*[{[]/.test(block)) return { event, data: block.trim() }
  return { event, data: data.join('\n') }
}

/** The GatewayError an event stands for, or undefined for an ordinary event. */
export function eventError (block: string, provider: string): GatewayError | undefined {
  const { event, data } = dataOf(block)
  if (data === '' || data === '[DONE]') return event === 'error' ? failure('upstream_error', provider) : undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return event === 'error' ? failure('upstream_error', provider) : undefined
  }
  const root = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | null
  // vLLM sends its ErrorResponse itself as the event: { "object": "error", "message", "type", "code" }
  const error = (root?.error ?? (root?.object === 'error' ? root : undefined)) as Record<string, unknown> | undefined
  const choices = Array.isArray(root?.choices) ? root.choices as Array<{ finish_reason?: unknown }> : []
  if (
    event === 'error' ||
    (error !== undefined && error !== null) ||
    choices.some((choice) => choice?.finish_reason === 'error')
  ) {
    const { code, details } = translateProviderError({ status: statusOfError(error), body: parsed, provider })
    return trustDetails(new GatewayError(code, details as never))
  }
  return isSafetyBlock(root) ? failure('content_filtered', provider) : undefined
}

/** Splits SSE text that ends with a blank line (a segment of whole events) into its events. */
export function splitEvents (text: string): string[] {
  const blocks = text.replace(/\r\n?/g, '\n').split(EVENT_END)
  blocks.pop() // what follows the last blank line: nothing, or more blank lines
  return blocks.map((block) => block + EVENT_END)
}

/** The index just past the last blank line in `chunk` (the end of its last complete event), or -1. */
export function lastEventEnd (chunk: Buffer, blanks: readonly Buffer[]): number {
  const n = chunk.length
  // The common case, a chunk of whole events: no scan.
  if (
    n >= 2 &&
    chunk[n - 1] === LF &&
    (chunk[n - 2] === LF || (n >= 3 && chunk[n - 2] === CR && chunk[n - 3] === LF))
  ) {
    return n
  }
  let end = -1
  for (const blank of blanks) {
    const at = chunk.lastIndexOf(blank)
    if (at !== -1 && at + blank.length > end) end = at + blank.length
  }
  return end
}

/** Blank lines in an LF-only segment: a native search for each LF, byte by byte once they come thick (tiny events). */
function countLfEvents (segment: Buffer): number {
  let count = 0
  let found = 0
  for (let at = segment.indexOf(LF); at !== -1; at = segment.indexOf(LF, at + 1)) {
    if (segment[at + 1] === LF) {
      count++
      at++
    }
    if (++found === DENSE_CHECK && at < DENSE_CHECK * DENSE_LF_BYTES) {
      for (let i = at + 1, last = segment.length - 1; i < last; i++) {
        if (segment[i] === LF && segment[i + 1] === LF) {
          count++
          i++
        }
      }
      return count
    }
  }
  return count
}

export function countEvents (segment: Buffer, blanks: readonly Buffer[]): number {
  if (blanks.length === 1) return countLfEvents(segment)
  let count = 0
  for (const blank of blanks) {
    for (let at = segment.indexOf(blank); at !== -1; at = segment.indexOf(blank, at + blank.length)) count++
    if (count > 0) break
  }
  return count
}
