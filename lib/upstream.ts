// A fetch to a provider that either returns a usable response or throws a GatewayError: the
// translation of upstream faults. The provider's raw body never reaches the client; a short,
// redacted excerpt may, when `excerpt` is set.
import { GatewayError } from './gateway-error'
import { isGatewayErrorCode, type GatewayErrorCode } from './catalog'
import { redactString } from './redact'
import { MAX_RETRY_AFTER_MS } from './retry-after'

export interface UpstreamOptions extends Omit<RequestInit, 'signal'> {
  /** The provider's name, for details and logs. */
  provider: string
  /** The deadline for the whole exchange, headers and body, in ms. */
  timeoutMs: number
  /** Aborts the fetch, e.g. `request.abortSignal` so a client that leaves cancels the upstream call. */
  signal?: AbortSignal
  /** Put a short, redacted excerpt of a bad upstream body in the details. Default false. */
  excerpt?: boolean
  /** Checks a parsed JSON body; false makes it an `upstream_error`. */
  validate?: (body: unknown) => boolean
  /** Return the response unread (for streams) once the status is OK. Default false. */
  raw?: boolean
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch
}

// Codes a provider's own error body may name that mean the same to our client.
const PASSED_THROUGH = new Set<GatewayErrorCode>(['context_length_exceeded', 'content_filtered', 'invalid_parameter_value', 'missing_required_parameter', 'unknown_field'])
const CONTENT_FILTER = /content[_ -]?(filter|policy|management)|safety|moderation/i
const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'])

function causeCode (error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

function retryAfterMs (headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'))
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER_MS)
  const seconds = Number(headers.get('retry-after'))
  if (headers.has('retry-after') && Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS)
  return undefined
}

function providerErrorCode (text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown, type?: unknown } }
    const code = body.error?.code ?? body.error?.type
    return typeof code === 'string' ? code : undefined
  } catch {
    return undefined
  }
}

function codeForStatus (status: number, text: string): GatewayErrorCode {
  const named = providerErrorCode(text)
  if (named !== undefined && isGatewayErrorCode(named) && PASSED_THROUGH.has(named)) return named
  if (named !== undefined && CONTENT_FILTER.test(named)) return 'content_filtered'
  if (status === 400 || status === 422) return 'invalid_request'
  if (status === 413) return 'payload_too_large'
  if (status === 429) return 'rate_limit_exceeded'
  if (status === 408 || status === 504 || status === 524) return 'upstream_timeout'
  if (status === 503 || status === 529) return 'model_unavailable'
  // 401/403/404 from a provider concern the gateway's key or configuration, not the caller's.
  return 'upstream_error'
}

/** Fetches from a provider; returns the response (or its parsed JSON) or throws a catalog GatewayError. */
export async function fetchUpstream (url: string | URL, options: UpstreamOptions): Promise<{ response: Response, body: unknown }> {
  const { provider, timeoutMs, signal, excerpt, validate, raw, fetch: fetchImpl = fetch, ...init } = options
  const timeout = AbortSignal.timeout(timeoutMs)
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
  const details = (extra: Record<string, unknown> = {}) => ({ provider, ...extra })
  const excerptOf = (text: string) => excerpt === true ? { excerpt: redactString(text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim(), 120) } : {}

  const fail = (error: unknown): never => {
    if (signal?.aborted === true) throw new GatewayError('client_disconnected', undefined, { cause: error })
    if (timeout.aborted) throw new GatewayError('upstream_timeout', details({ timeout_ms: timeoutMs }), { cause: error })
    const code = causeCode(error)
    if (code !== undefined && REFUSED.has(code)) throw new GatewayError('model_unavailable', details(), { cause: error })
    throw new GatewayError('upstream_error', details(), { cause: error })
  }

  let response: Response
  try {
    response = await fetchImpl(url, { ...init, signal: combined })
  } catch (error) {
    return fail(error)
  }
  if (response.ok && raw === true) return { response, body: undefined }

  let text: string
  try {
    text = await response.text()
  } catch (error) {
    return fail(error) // reset or deadline while reading the body
  }
  if (!response.ok) {
    const code = codeForStatus(response.status, text)
    const wait = retryAfterMs(response.headers)
    throw new GatewayError(code, details({ upstream_status: response.status, ...excerptOf(text), ...(wait === undefined ? {} : { retry_after_ms: wait }) }) as never)
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new GatewayError('upstream_error', details({ upstream_status: response.status, ...excerptOf(text) }), { cause: error })
  }
  if (validate !== undefined && !validate(body)) {
    throw new GatewayError('upstream_error', details({ upstream_status: response.status, ...excerptOf(text) }))
  }
  return { response, body }
}
