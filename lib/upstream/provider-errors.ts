// A provider's error reply → the most specific catalog code, with the numbers the provider stated.
// Pure: (status, headers, body) in, { code, details } out. Used by fetchUpstream, and exported for
// gateways that call providers through their own client or SDK (openai's and @anthropic-ai/sdk's
// APIError carry status, headers and the parsed body).
//
// The provider's message is read, never forwarded: only codes and numbers leave this module, and an
// excerpt of the message only when asked for, redacted.
import type { GatewayErrorCode } from '../catalog/catalog'
import { headerValue, providerWait } from './provider-waits'
import { anyOf, compose, followedWithin, precededWithin } from './patterns'
import { redactString } from './redact'
import { MAX_RETRY_AFTER_MS } from '../catalog/retry-after'

export interface ProviderErrorInput {
  status: number
  headers?: Headers | Record<string, string | string[] | undefined> | undefined
  /** The body as text, or already parsed (an SDK's `error`). */
  body?: unknown
  provider?: string | undefined
  /** Put a short, redacted excerpt of the provider's message in the details. */
  excerpt?: boolean
}

export interface ProviderErrorTranslation {
  code: GatewayErrorCode
  details: Record<string, unknown>
}

interface ProviderError {
  message: string,
  type: string | undefined,
  code: string | undefined,
  param: string | undefined,
  reasons: string[]
}

const MAX_MESSAGE = 2000

function text (value: unknown): string | undefined {
  return typeof value === 'string' ? value.slice(0, MAX_MESSAGE) : typeof value === 'number' ? String(value) : undefined
}

// Mistral and FastAPI-based servers send a structured `message`; its text is still what it says.
function messageText (value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return text(value)
  // Stryker disable BlockStatement: an empty catch also returns undefined
  try {
    return JSON.stringify(value).slice(0, MAX_MESSAGE)
  } catch {
    return undefined
  }
  // Stryker restore BlockStatement
}

function parse (body: unknown): unknown {
  if (typeof body !== 'string') return body
  const trimmed = body.trimStart()
  // Stryker disable next-line ConditionalExpression: a fast path; JSON.parse finds no object in these
  if (trimmed[0] !== '{' && trimmed[0] !== '[' && trimmed[0] !== '"') return undefined
  // Stryker disable BlockStatement: an empty catch also returns undefined
  try {
    const value: unknown = JSON.parse(body)
    // xAI has answered with a bare JSON string: the message alone
    return typeof value === 'string' ? { message: value } : value
  } catch {
    return undefined
  }
  // Stryker restore BlockStatement
}

/**
 * The error object of any provider's shape: OpenAI and its kin, Anthropic, Gemini (also as an
 * array), Bedrock, Cohere, Ollama, vLLM.
 */
export function readProviderError (body: unknown): ProviderError | undefined {
  let value = parse(body)
  if (Array.isArray(value)) value = value[0] // Gemini's OpenAI-compatible endpoint answers with an array
  if (value === null || typeof value !== 'object') return undefined
  const root = value as Record<string, unknown>
  const nested = root.error
  const error = (nested !== null && typeof nested === 'object' ? nested : root) as Record<string, unknown>
  const message = messageText(error.message) ?? text(nested) ?? messageText(root.message) ??
    messageText(root.detail) ?? ''
  const reasons: string[] = []
  // Stryker disable next-line ArrayDeclaration: an array of anything but detail objects adds no reason either
  const details = Array.isArray(error.details) ? error.details : []
  for (const item of details.slice(0, 8)) {
    const { reason, violations } = (item ?? {}) as { reason?: unknown, violations?: unknown }
    if (typeof reason === 'string') reasons.push(reason.slice(0, 100))
    // Gemini's QuotaFailure names the quota: per minute (a wait) or per day (not one to wait for)
    if (Array.isArray(violations)) {
      for (const v of violations.slice(0, 4)) {
        reasons.push(String((v as { quotaId?: unknown } | null)?.quotaId).slice(
          0,
          100
        ))
      }
    }
  }
  const inner = (error.innererror ?? error.inner_error) as { code?: unknown } | undefined
  if (typeof inner?.code === 'string') reasons.push(inner.code)
  return {
    message,
    type: text(error.type) ?? text(error.status) ?? text(root.__type) ??
      text(root.type === 'error' ? undefined : root.type),
    code: text(error.code) ?? text(root.code),
    param: text(error.param),
    reasons
  }
}

const CONTEXT = anyOf([
  'context.length', 'context.window', 'maximum context', 'prompt is too long', 'input is too long',
  'too many (?:input )?tokens',
  'exceeds? the (?:max|model)', 'reduce the length', 'token limit', 'input length', 'maximum (?:input|prompt) length'
], 'i')
const FILTER = /content.?filter|content.?policy|content.?management|safety|moderation|responsible ai|blocked/i
const QUOTA = /billing|credit|quota|exceeded your current|payment/i
// A request larger than a per-minute limit: "Request too large", "Requested 250000 … Limit 30000",
// "exceeds … per minute" (each second part looked for near the first, see followedWithin).
const TOO_LARGE = /request too large/i
const REQUESTED = /requested \d/gi
const LIMIT_NUMBER = /limit \d/i
const EXCEEDS = /exceeds? /gi
const PER_MINUTE = /per.?minute/i

function perMinuteTooLarge (words: string): boolean {
  return TOO_LARGE.test(words) || followedWithin(words, REQUESTED, LIMIT_NUMBER, 112) ||
    followedWithin(words, EXCEEDS, PER_MINUTE, 70)
}
const UNKNOWN_PARAM = anyOf([
  'unrecognized request argument', 'unknown (?:parameter|field|argument)',
  'extra (?:inputs|fields) (?:are )?not permitted',
  'additional properties', 'unexpected (?:keyword|field)', 'extraneous key'
], 'i')
const MISSING_PARAM = /missing required|is required|field required|must be provided|required key \[/i
// Per capability: words that name it anywhere, and (optionally) words that name it just before "not supported".
const NOT_SUPPORTED = /not supported/gi
const CAPABILITIES: Array<[RegExp, RegExp | undefined, GatewayErrorCode]> = [
  [/does not support (?:tools|function|tool)|function calling/i, /\btools?\b/i, 'tools_not_supported'],
  [/image|vision|multimodal/i, undefined, 'vision_not_supported'],
  [/does not support stream/i, /\bstream(?:ing)?\b/i, 'streaming_not_supported'],
  [/json.?mode|response.?format|json_object|json.?schema/i, undefined, 'json_mode_not_supported'],
  [/reasoning|thinking/i, undefined, 'reasoning_not_supported']
]

function capabilityOf (message: string): GatewayErrorCode | undefined {
  for (const [anywhere, named, code] of CAPABILITIES) {
    const namedBefore = named !== undefined && precededWithin(message, NOT_SUPPORTED, named, 90)
    if (anywhere.test(message) || namedBefore) return code
  }
  return undefined
}
const UNSUPPORTED = /not supported|does not support|unsupported/i
// The provider lacks the model or deployment the gateway named: the gateway's configuration, not the caller's model.
const MODEL_MISSING = /\b(?:model_not_found|DeploymentNotFound|NOT_FOUND)\b/
// Anthropic names the field at fault first: "max_tokens: 128001 > 64000, …", "`max_tokens` must be …"
const LEADING_PARAM = /^`?([a-z_][a-z0-9_]{0,40}(?:\.[a-z0-9_]{1,40}){0,4})`?(?::\s|\s(?:must|should|is)\b)/
const URL = /\bhttps?:\/\/[^\s"'<>]{1,500}/g
const SAFETY_STOPS = /^(?:SAFETY|PROHIBITED_CONTENT|BLOCKLIST|SPII)$/
const TOKENS_OVER_MAX = /(\d{1,9}) tokens > (\d{1,9})/
const TOKEN_COUNT_OVER_MAX = /token count \((\d{1,9})\) exceeds the maximum number of tokens allowed \((\d{1,9})\)/i
const REQUESTED_TOKENS = /(?:resulted in|requested|you requested|input has|contains|has|too long:|received) (\d{1,9})/i
const MAX_TOKENS = compose(`(?:${anyOf([
  'maximum context length is', 'maximum context length:', 'maximum prompt length is', 'context window is',
    'limit is', 'maximum of', 'at most',
  'cannot exceed'
]).source}) (\\d{1,9})`, 'i')

function numberAfter (message: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(message)
  const value = match === null ? Number.NaN : Number(match[1])
  return Number.isSafeInteger(value) ? value : undefined
}

function contextNumbers (message: string): Record<string, number> {
  const pair = TOKENS_OVER_MAX.exec(message) ?? TOKEN_COUNT_OVER_MAX.exec(message)
  const requested = pair !== null ? Number(pair[1]) : numberAfter(message, REQUESTED_TOKENS)
  const max = pair !== null ? Number(pair[2]) : numberAfter(message, MAX_TOKENS)
  return requested !== undefined && max !== undefined ? { requested_tokens: requested, max_context_tokens: max } : {}
}

function paramOf (error: ProviderError): string | undefined {
  if (error.param !== undefined && error.param !== '') return redactString(error.param, 80)
  const quoted = /(?:parameter|argument|field|property)[:\s]{1,4}[`'"]?([A-Za-z_][\w.[\]]{0,60})/i.exec(error.message)
  // Bedrock: "extraneous key [top_k] is not permitted", "required key [messages] not found"
  const bracketed = /(?:extraneous|required) key \[([A-Za-z_$][\w.$]{0,60})\]/.exec(error.message)
  const named = quoted?.[1] ?? bracketed?.[1] ?? LEADING_PARAM.exec(error.message)?.[1]
  // What a provider's message names as the field may be a value (a key pasted as a field name).
  return named === undefined ? undefined : redactString(named, 80)
}

function classify (status: number, given: ProviderError | undefined, wait: number | undefined): GatewayErrorCode {
  // A documentation link is no wording of the error ("…#max-tokens-and-context-window-size")
  // Stryker disable next-line StringLiteral: a link replaced by a space or by nothing leaves the same phrases
  const error = given === undefined ? undefined : { ...given, message: given.message.replace(URL, ' ') }
  // Stryker disable next-line StringLiteral: a placeholder or another separator matches no phrase
  const words = error === undefined
    ? ''
    : `${error.type ?? ''} ${error.code ?? ''} ${error.reasons.join(' ')} ${error.message}`
  // Stryker disable next-line StringLiteral: reasons joined otherwise match no phrase either
  const reasons = error?.reasons.join(' ') ?? ''
  const keyRefused = /api.?key.?invalid|invalid.?api.?key|permission.?denied|unauthenticated/i.test(reasons)
  if (status === 401 || status === 403 || keyRefused) {
    // The provider rejected the gateway's own key or account: not the caller's key.
    if (status === 403 && FILTER.test(words)) return 'content_filtered'
    if (status === 403 && QUOTA.test(words)) return 'model_unavailable' // the gateway's account is out of credit
    return 'upstream_error'
  }
  const quota = /billing_error|insufficient_quota/i.test(words) ||
    (status !== 429 && QUOTA.test(words) && !CONTEXT.test(words))
  if (status === 402 || quota) return 'model_unavailable'
  if (status === 408 || status === 504 || status === 524) return 'upstream_timeout'
  // Stryker disable next-line StringLiteral: a placeholder for a missing type matches no phrase
  if (status === 503 || status === 529 || /overloaded|unavailable/i.test(error?.type ?? '')) return 'model_unavailable'
  // Stryker disable next-line StringLiteral: a placeholder for a missing type or code matches no phrase
  const throttled = /throttling|rate.?limit|resource.?exhausted/i.test(`${error?.type ?? ''} ${error?.code ?? ''}`)
  if (status === 429 || throttled) {
    // the gateway's provider account, out of quota
    if (QUOTA.test(words) && !/per.?minute/i.test(words)) return 'model_unavailable'
    if (perMinuteTooLarge(words)) return 'invalid_request' // can never pass, however long the caller waits
    if (wait !== undefined && wait > MAX_RETRY_AFTER_MS) return 'model_unavailable' // hours away: not a wait to state
    return 'rate_limit_exceeded'
  }
  if (status >= 500) return 'upstream_error'
  if (error === undefined) return status === 413 ? 'payload_too_large' : 'upstream_error'
  // 413: too many bytes ("Request exceeds the maximum allowed number of bytes"), unless it speaks of tokens
  if (status === 413) {
    return /token/i.test(words) && CONTEXT.test(words) ? 'context_length_exceeded' : 'payload_too_large'
  }
  if (CONTEXT.test(words)) return 'context_length_exceeded'
  if (FILTER.test(words)) return 'content_filtered'
  // the gateway's configuration names a model the provider lacks
  // Stryker disable next-line StringLiteral: a placeholder for a missing type or code matches no phrase
  if (status === 404 || MODEL_MISSING.test(`${error.code ?? ''} ${error.type ?? ''}`)) return 'upstream_error'
  if (UNKNOWN_PARAM.test(error.message)) return 'unknown_field'
  if (MISSING_PARAM.test(error.message) && paramOf(error) !== undefined) return 'missing_required_parameter'
  if (UNSUPPORTED.test(error.message)) {
    const capability = capabilityOf(error.message)
    if (capability !== undefined) return capability
  }
  if ((error.param !== undefined && error.param !== '') || LEADING_PARAM.test(error.message)) {
    return 'invalid_parameter_value'
  }
  return 'invalid_request'
}

/**
 * What the openai and @anthropic-ai/sdk SDKs throw: `APIError` with `status`, `headers` and the
 * parsed `error` body.
 */
export interface SdkApiErrorLike {
  status?: number | undefined
  headers?: ProviderErrorInput['headers']
  error?: unknown
}

function isSdkError (input: ProviderErrorInput | SdkApiErrorLike): input is SdkApiErrorLike {
  return !('body' in input) && 'error' in input
}

/**
 * Translates a provider's error reply, or the APIError a provider SDK threw (a connection error
 * without a status is an `upstream_error`). Never throws.
 */
export function translateProviderError (
  given: ProviderErrorInput | SdkApiErrorLike,
  provider?: string
): ProviderErrorTranslation {
  const input: ProviderErrorInput = isSdkError(given)
    ? { status: given.status as number, headers: given.headers, body: given.error, provider }
    : { ...given, status: given.status }
  // A status that is no HTTP status (missing, a string, `__proto__`'s object) is a provider fault.
  if (!Number.isInteger(input.status) || input.status < 100 || input.status > 599) input.status = 502
  let error: ProviderError | undefined
  // Stryker disable BlockStatement: `error` is undefined already when the read throws
  try {
    error = readProviderError(input.body)
  } catch {
    error = undefined
  }
  // Stryker restore BlockStatement
  // AWS names the error in a header: `x-amzn-errortype: ThrottlingException:…`
  const amazon = headerValue(input.headers, 'x-amzn-errortype')?.split(':')[0]
  if (error !== undefined && error.type === undefined) error.type = amazon
  const rawWait = providerWait(input.headers, error === undefined ? undefined : parse(input.body))
  const code = classify(input.status, error, rawWait)
  const upstream: Record<string, unknown> = { status: input.status }
  if (input.provider !== undefined) upstream.provider = input.provider
  if (error?.type !== undefined) upstream.type = redactString(error.type, 60)
  if (error?.code !== undefined) upstream.code = redactString(error.code, 60)
  const details: Record<string, unknown> = {
    ...(input.provider === undefined ? {} : { provider: input.provider }),
    upstream
  }
  // Only a provider's error object is classified context_length_exceeded: there is one
  if (code === 'context_length_exceeded') Object.assign(details, contextNumbers((error as ProviderError).message))
  if (
    (code === 'invalid_parameter_value' || code === 'unknown_field' || code === 'missing_required_parameter') &&
    error !== undefined
  ) {
    const param = paramOf(error)
    if (param !== undefined) details.param = param
  }
  if (code === 'rate_limit_exceeded' && rawWait !== undefined) details.retry_after_ms = Math.ceil(rawWait)
  if (code === 'model_unavailable' && input.status !== 429 && (rawWait ?? Infinity) <= MAX_RETRY_AFTER_MS) {
    details.retry_after_ms = Math.ceil(rawWait as number)
  }
  if (input.excerpt === true && error !== undefined && error.message !== '') {
    details.excerpt = redactString(
      error.message,
      160
    )
  }
  return { code, details }
}

// Keyed by provider text: no prototype, so `constructor` or `__proto__` finds nothing.
const STATUS_BY_NAME: Readonly<Record<string, number | undefined>> = Object.assign(Object.create(null) as object, {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529
})

/** The HTTP status an error object sent without one stands for (in a 200 body or a stream event). */
export function statusOfError (error: unknown): number {
  const { code, status, type } = (error ?? {}) as { code?: unknown, status?: unknown, type?: unknown }
  if (typeof code === 'number' && code >= 400 && code <= 599) return code
  return STATUS_BY_NAME[String(status)] ?? STATUS_BY_NAME[String(type)] ?? 502
}

/** Whether a parsed 200 body is a refusal by the provider's safety system (Gemini's SAFETY blocks). */
export function isSafetyBlock (body: unknown): boolean {
  type Reply = { promptFeedback?: { blockReason?: unknown }, candidates?: unknown }
  const { promptFeedback, candidates } = (body ?? {}) as Reply
  if (typeof promptFeedback?.blockReason === 'string') return true
  return Array.isArray(candidates) && candidates.length > 0 &&
    candidates.every((candidate) =>
      SAFETY_STOPS.test(String((candidate as { finishReason?: unknown } | null)?.finishReason)))
}
