// A fetch to a provider that returns a usable response or throws the GatewayError its failure
// means: the provider's error replies through translateProviderError, its faults (timeouts, resets,
// refused connections, HTML pages, truncated JSON, redirects) by what they are. The provider's raw
// body never reaches the client; a short, redacted excerpt may, when `excerpt` is set.
import { GatewayError, trustDetails } from '../reply/gateway-error'
import { isSafetyBlock, statusOfError, translateProviderError } from './provider-errors'
import { redactString } from './redact'
import { activeUpstreamCall, upstreamCall } from '../telemetry/telemetry'
import { checkDeadlines, Deadlines, DEFAULT_IDLE_TIMEOUT_MS } from './deadlines'
import { openEventStream, type CheckedEventStream, type StreamDelivery } from './events'

export interface UpstreamOptions extends Omit<RequestInit, 'signal' | 'redirect'> {
  /** The provider's name, for details and logs. */
  provider: string
  /**
   * How long the provider has to answer, in ms: its response headers and, with `raw`, its first
   * event (the time to first token). Past it: `upstream_timeout`, before anything is forwarded.
   */
  timeoutMs: number
  /**
   * The longest silence between two reads of the body once the answer has begun, in ms; `false`
   * for none. Past it, a stream ends with the catalog's `upstream_timeout` event and the provider's
   * connection is closed. A stream that keeps talking is never cut. Default 60,000.
   */
  idleTimeoutMs?: number | false
  /** A hard cap on the whole exchange, body included, in ms. Default none. */
  totalTimeoutMs?: number
  /** Aborts the fetch, e.g. `request.abortSignal` so a client that leaves cancels the upstream call. */
  signal?: AbortSignal
  /** Put a short, redacted excerpt of a bad upstream body in the details. Default false. */
  excerpt?: boolean
  /** Checks a parsed JSON body; false makes it an `upstream_error`. */
  validate?: (body: unknown) => boolean
  /**
   * Expect an event stream: resolve with `stream`, the provider's events checked as they pass (send it
   * with `reply.header('content-type', 'text/event-stream').send(stream)`), and `delivered`. An answer
   * that is not an event stream, or whose first event is an error, is thrown before a byte is forwarded.
   * Default false.
   */
  raw?: boolean
  /** `none` (default): a 3xx is an `upstream_error`. `same-origin`: follow up to 3 redirects to the same origin. */
  redirects?: 'none' | 'same-origin'
  /** The largest successful body read, in bytes. Default 8 MiB. Error bodies are read up to 64 KiB. */
  maxBytes?: number
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch
  /** For OpenTelemetry: `gen_ai.operation.name` (default `chat`) and `gen_ai.request.model`. */
  operation?: string
  model?: string
}

export interface UpstreamResult {
  response: Response
  /** The parsed JSON body; undefined with `raw`. */
  body: unknown
  /** With `raw`: the checked event stream, a Node Readable of the provider's SSE bytes. */
  stream?: CheckedEventStream
  /**
   * With `raw`: resolves once, when the stream has ended in any way (completed, failed, stalled, the
   * client left), with what was forwarded: bill from it. Never rejects.
   */
  delivered?: Promise<StreamDelivery>
}

const UPSTREAM_HINT = 'fetchUpstream() resolves with { response, body, stream?, delivered? }: ' +
  'reply with its .body, or send its .stream'

/**
 * Marks a result that holds a reply body but is not one: returning it from a route by mistake would
 * send `{"response":{},…}`. Serializing it throws instead (an internal_error, with the hint logged).
 */
export function notAReplyBody<T extends object> (result: T, hint: string): T {
  return Object.defineProperty(result, 'toJSON', { value: () => { throw new TypeError(hint) }, enumerable: false })
}

const REFUSED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT'
])
const ERROR_BODY_BYTES = 64 * 1024
const EXCERPT_SOURCE = 2048

function causeCode (error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

interface CappedText { text: string, truncated: boolean }

/** Reads at most `limit` bytes of a body as text; `truncated` when there was more. */
async function readCapped (response: Response, limit: number, deadlines: Deadlines): Promise<CappedText> {
  const reader = response.body?.getReader()
  if (reader === undefined) return { text: '', truncated: false }
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    deadlines.lastRead = performance.now()
    chunks.push(value)
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      return { text: Buffer.concat(chunks).subarray(0, limit).toString('utf8'), truncated: true }
    }
  }
  const only = chunks.length === 1 ? chunks[0] as Uint8Array : undefined
  const body = only === undefined ? Buffer.concat(chunks, size) : Buffer.from(only.buffer, only.byteOffset, size)
  return { text: body.toString('utf8'), truncated: false }
}

/** Clipped first, then stripped with expressions that cannot backtrack. */
function excerptOf (text: string): string {
  return redactString(text.slice(0, EXCERPT_SOURCE).replace(/<[^<>]*>/g, ' ').replace(/\s+/g, ' ').trim(), 120)
}

function isSameOrigin (from: URL, location: string | null): URL | undefined {
  if (location === null) return undefined
  try {
    const target = new URL(location, from)
    return target.origin === from.origin ? target : undefined
  } catch {
    return undefined
  }
}

/**
 * Fetches from a provider; returns the response and its parsed JSON (or checked stream), or throws a
 * catalog GatewayError. With OpenTelemetry, the call is a CLIENT span (the attempt loop's, when it runs
 * inside one) and a point of `gen_ai.client.operation.duration`.
 */
export function fetchUpstream (url: string | URL, options: UpstreamOptions): Promise<UpstreamResult> {
  const current = activeUpstreamCall()
  if (current !== undefined) {
    current.setServer(url)
    return fetchFromProvider(url, options)
  }
  const info = { operation: options.operation ?? 'chat', provider: options.provider, model: options.model }
  return upstreamCall(info, async (call) => {
    call?.setServer(url)
    try {
      const result = await fetchFromProvider(url, options)
      call?.succeeded(result)
      return result
    } catch (error) {
      call?.failed((error as GatewayError).code, (error as GatewayError).details)
      throw error
    }
  })
}

async function fetchFromProvider (url: string | URL, options: UpstreamOptions): Promise<UpstreamResult> {
  const {
    provider, timeoutMs, idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS, totalTimeoutMs, signal, excerpt, validate, raw,
    redirects = 'none', maxBytes = 8 << 20, fetch: fetchImpl = fetch, operation: _operation, model: _model, ...init
  } = options
  const startedAt = performance.now()
  const deadlineOptions = { timeoutMs, idleTimeoutMs, totalTimeoutMs }
  checkDeadlines(deadlineOptions)
  const deadlines = new Deadlines(deadlineOptions, provider, signal)
  const bad = (status: number, text: string, cause?: unknown): never => {
    throw trustDetails(new GatewayError('upstream_error', {
      provider, upstream: { provider, status }, ...(excerpt === true && text !== '' ? { excerpt: excerptOf(text) } : {})
    }, cause === undefined ? undefined : { cause }))
  }
  const fail = (error: unknown): never => {
    if (!deadlines.signal.aborted) deadlines.controller.abort() // closes the provider's connection
    deadlines.finish()
    if (error instanceof GatewayError) throw error
    if (deadlines.clientLeft) throw new GatewayError('client_disconnected', undefined, { cause: error })
    const timedOut = deadlines.timeoutError(error)
    if (timedOut !== undefined) throw timedOut
    const code = causeCode(error)
    if (code !== undefined && REFUSED.has(code)) {
      throw trustDetails(new GatewayError(
        'model_unavailable',
        { provider },
        { cause: error }
      ))
    }
    throw trustDetails(new GatewayError('upstream_error', { provider }, { cause: error }))
  }

  try {
    let target = new URL(url)
    let response = await fetchImpl(target, { ...init, signal: deadlines.signal, redirect: 'manual' })
    for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
      // Never to another host: it would get the provider key headers and, on 307, the prompt again.
      const next = redirects === 'same-origin' && hops < 3
        ? isSameOrigin(
          target,
          response.headers.get('location')
        )
        : undefined
      await response.body?.cancel().catch(() => {})
      if (next === undefined) return bad(response.status, '')
      target = next
      response = await fetchImpl(target, { ...init, signal: deadlines.signal, redirect: 'manual' })
    }

    const type = response.headers.get('content-type') ?? ''
    if (raw === true && response.ok && type.startsWith('text/event-stream') && response.body !== null) {
      // The answer deadline runs on to the first event: headers and then nothing is no answer.
      const stream = await openEventStream(response.body, provider, deadlines, startedAt)
      return notAReplyBody({ response, body: undefined, stream, delivered: stream.delivered }, UPSTREAM_HINT)
    }
    deadlines.answered()

    if (!response.ok) {
      const { text } = await readCapped(response, ERROR_BODY_BYTES, deadlines)
      const { code, details } = translateProviderError({
        status: response.status,
        headers: response.headers,
        body: text,
        provider,
        excerpt
      })
      if (excerpt === true && details.excerpt === undefined && text !== '') details.excerpt = excerptOf(text)
      throw trustDetails(new GatewayError(code, details as never))
    }

    const { text, truncated } = await readCapped(response, maxBytes, deadlines)
    deadlines.finish()
    if (truncated) return bad(response.status, '')
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (error) {
      return bad(response.status, text, error) // HTML from a proxy, a truncated body
    }
    const providerError = Array.isArray(body) ? body[0]?.error : (body as { error?: unknown } | null)?.error
    if (providerError !== undefined && providerError !== null) {
      // An error sent with 200 (some providers do, and streams asked for and answered with JSON).
      const { code, details } = translateProviderError({
        status: statusOfError(providerError),
        headers: response.headers,
        body,
        provider,
        excerpt
      })
      throw trustDetails(new GatewayError(code, details as never))
    }
    if (isSafetyBlock(body)) throw trustDetails(new GatewayError('content_filtered', { provider }))
    if (raw === true || (validate !== undefined && !validate(body))) return bad(response.status, text)
    return notAReplyBody({ response, body }, UPSTREAM_HINT)
  } catch (error) {
    return fail(error)
  }
}
