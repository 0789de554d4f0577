// A provider's event stream, checked: every event is forwarded as the provider sent it, except an
// error event (OpenAI-style `data: {"error":…}`, Anthropic `event: error`, OpenRouter's chunk with
// `finish_reason: "error"`, Gemini's safety stop), which becomes a thrown GatewayError: forwarded with
// `reply.send(stream)`, the plugin turns it into the catalog SSE error event in the route's envelope.
import { GatewayError, trustDetails } from './gateway-error'
import { isSafetyBlock, statusOfError, translateProviderError } from './provider-errors'

const MAX_EVENT_BYTES = 1 << 20

function failure (code: 'upstream_error' | 'content_filtered', provider: string, cause?: unknown): GatewayError {
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
  const error = root?.error as Record<string, unknown> | undefined
  const choices = Array.isArray(root?.choices) ? root.choices as Array<{ finish_reason?: unknown }> : []
  if (event === 'error' || (error !== undefined && error !== null) || choices.some((choice) => choice?.finish_reason === 'error')) {
    const { code, details } = translateProviderError({ status: statusOfError(error), body: parsed, provider })
    return trustDetails(new GatewayError(code, details as never))
  }
  return isSafetyBlock(root) ? failure('content_filtered', provider) : undefined
}

/** Splits a byte stream into SSE events (each with its terminating blank line), bounded in size. */
export async function * events (body: AsyncIterable<Uint8Array>, provider: string): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for await (const chunk of body) {
      buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n')
      let end = buffer.indexOf('\n\n')
      while (end !== -1) {
        yield buffer.slice(0, end + 2)
        buffer = buffer.slice(end + 2)
        end = buffer.indexOf('\n\n')
      }
      if (buffer.length > MAX_EVENT_BYTES) throw failure('upstream_error', provider)
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error
    throw failure('upstream_error', provider, error) // the provider dropped the stream midway
  }
  if (buffer.trim() !== '') yield `${buffer}\n\n`
}

/**
 * Reads the first event (so an error there, or no event stream at all, is caught before a byte is
 * forwarded), then returns the stream of the provider's events, checked one by one.
 */
export async function checkedEvents (body: AsyncIterable<Uint8Array>, provider: string): Promise<AsyncGenerator<string>> {
  const source = events(body, provider)
  const first = await source.next()
  if (first.done === true) throw failure('upstream_error', provider)
  const firstError = eventError(first.value, provider)
  if (firstError !== undefined) throw firstError
  return (async function * checked () {
    yield first.value
    for await (const block of source) {
      const error = eventError(block, provider)
      if (error !== undefined) throw error
      yield block
    }
  })()
}
