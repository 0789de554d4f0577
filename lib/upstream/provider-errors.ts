// A provider's error reply → the most specific catalog code, with the numbers the provider stated.
// Pure: (status, headers, body) in, { code, details } out. Used by fetchUpstream, and exported for
// gateways that call providers through their own client or SDK (openai's and @anthropic-ai/sdk's
// APIError carry status, headers and the parsed body).
//
// The provider's message is read, never forwarded: only codes and numbers leave this module, and an
// excerpt of the message only when asked for, redacted.
import type { GatewayErrorCode } from '../catalog/catalog'
import { headerValue, providerWait } from './provider-waits'
import { compose } from './patterns'
import { contextNumbers, perMinuteTooLarge } from './provider-numbers'
import {
  capabilityOf, CONFIGURATION, CONTEXT, FILTER, MISSING_PARAM, NO_ALLOWANCE, PROVIDER_CODES, QUOTA, QUOTA_ADVICE,
  UNKNOWN_PARAM,
  UNSUPPORTED
} from './provider-words'
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
  reasons: string[],
  /** Token counts stated as fields (llama.cpp: `n_prompt_tokens`, `n_ctx`). */
  counts: { requested?: number, max?: number }
}

const MAX_MESSAGE = 2000

function text (value: unknown): string | undefined {
  return typeof value === 'string' ? value.slice(0, MAX_MESSAGE) : typeof value === 'number' ? String(value) : undefined
}

// Mistral and FastAPI-based servers send a structured `message`; its text is still what it says.
function count (value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? value as number : undefined
}

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
        reasons.push(String((v as { quotaId?: unknown } | null)?.quotaId).slice(0, 100))
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
    reasons,
    counts: { requested: count(error.n_prompt_tokens), max: count(error.n_ctx) }
  }
}

// The provider lacks the model or deployment the gateway named: the gateway's configuration, not the caller's model.
const MODEL_MISSING = /\b(?:model_not_found|DeploymentNotFound|NOT_FOUND|invalid_model)\b/
// Anthropic names the field at fault first: "max_tokens: 128001 > 64000, …", "`max_tokens` must be …"
const LEADING_PARAM = /^`?([a-z_][a-z0-9_]{0,40}(?:\.[a-z0-9_]{1,40}){0,4})`?(?::\s|\s(?:must|should|is)\b)/
const URL = /\bhttps?:\/\/[^\s"'<>]{1,500}/g
// Cohere: "unknown field: parameter 'foo' is not a valid field": the second keyword is not the name
const FIELD_WORD = '(?:parameter|argument|field|property)'
const NAMED_FIELD = compose(`${FIELD_WORD}[:\\s]{1,4}(?:${FIELD_WORD}\\s{1,3})?[\`'"]?([A-Za-z_][\\w.[\\]]{0,60})`, 'i')

function paramOf (error: ProviderError): string | undefined {
  if (error.param !== undefined && error.param !== '') return redactString(error.param, 80)
  // OpenAI: "Unrecognized request argument supplied: foo"
  const supplied = /argument supplied:\s{0,3}[`'"]?([A-Za-z_][\w.[\]]{0,60})/i.exec(error.message)
  const quoted = supplied ?? NAMED_FIELD.exec(error.message)
  // Bedrock: "extraneous key [top_k] is not permitted", "required key [messages] not found"
  const bracketed = /(?:extraneous|required) key \[([A-Za-z_$][\w.$]{0,60})\]/.exec(error.message)
  // Gemini: 'Unknown name "stream": Cannot find field.'; pydantic (Mistral, vLLM): "loc": ["body", "n"]
  const unknownName = /unknown name \\?"([A-Za-z_][\w.]{0,60})\\?"/i.exec(error.message)
  const location = /[[(]\s?['"]body['"],\s?['"]([A-Za-z_]\w{0,60})['"]/.exec(error.message)
  const named = quoted?.[1] ?? bracketed?.[1] ?? unknownName?.[1] ?? location?.[1] ??
    LEADING_PARAM.exec(error.message)?.[1]
  // What a provider's message names as the field may be a value (a key pasted as a field name).
  return named === undefined ? undefined : redactString(named, 80)
}

function classify (
  status: number,
  given: ProviderError | undefined,
  waitOf: () => number | undefined
): GatewayErrorCode {
  // A documentation link is no wording of the error ("…#max-tokens-and-context-window-size")
  // Stryker disable next-line StringLiteral: a link replaced by a space or by nothing leaves the same phrases
  const error = given === undefined ? undefined : { ...given, message: given.message.replace(URL, ' ') }
  // The provider's documented code decides first, whatever the status or the language.
  const documented = error?.code === undefined ? undefined : PROVIDER_CODES[error.code]
  if (documented !== undefined) return documented
  // Stryker disable next-line StringLiteral: a placeholder or another separator matches no phrase
  const words = error === undefined
    ? ''
    : `${error.type ?? ''} ${error.code ?? ''} ${error.reasons.join(' ')} ${error.message.replace(QUOTA_ADVICE, ' ')}`
  const lower = words.toLowerCase()
  // Each phrase list is matched at most once per reply, when a decision first needs it.
  let context: boolean | undefined
  let quotaWords: boolean | undefined
  const saysContext = (): boolean => (context ??= CONTEXT.test(lower))
  const saysQuota = (): boolean => (quotaWords ??= QUOTA.test(lower))
  // Stryker disable next-line StringLiteral: reasons joined otherwise match no phrase either
  const reasons = error?.reasons.join(' ') ?? ''
  const keyRefused = /api.?key.?invalid|invalid.?api.?key|permission.?denied|unauthenticated/i.test(reasons)
  if (status === 401 || status === 403 || keyRefused) {
    // The provider rejected the gateway's own key or account: not the caller's key.
    if (status === 403 && FILTER.test(lower)) return 'content_filtered'
    if (status === 403 && saysQuota()) return 'model_unavailable' // the gateway's account is out of credit
    return 'upstream_error'
  }
  const quota = /billing_error|insufficient_quota/i.test(words) ||
    (status !== 429 && saysQuota() && !saysContext())
  if (status === 402 || quota) return 'model_unavailable'
  if (status === 408 || status === 504 || status === 524) return 'upstream_timeout'
  // Stryker disable next-line StringLiteral: a placeholder for a missing type matches no phrase
  if (status === 503 || status === 529 || /overloaded|unavailable/i.test(error?.type ?? '')) return 'model_unavailable'
  // Stryker disable next-line StringLiteral: a placeholder for a missing type or code matches no phrase
  const throttled = /throttling|rate.?limit|resource.?exhausted/i.test(`${error?.type ?? ''} ${error?.code ?? ''}`)
  if (status === 429 || throttled) {
    // the gateway's provider account, out of quota, or with none for this model
    if ((saysQuota() && !/per.?minute/i.test(words)) || NO_ALLOWANCE.test(words)) return 'model_unavailable'
    if (perMinuteTooLarge(words)) return 'invalid_request' // can never pass, however long the caller waits
    const wait = waitOf()
    if (wait !== undefined && wait > MAX_RETRY_AFTER_MS) return 'model_unavailable' // hours away: not a wait to state
    return 'rate_limit_exceeded'
  }
  if (error === undefined) return status === 413 ? 'payload_too_large' : 'upstream_error'
  // Servers that send a context overflow as a 500 (llama.cpp, DeepInfra): the words decide.
  if (status >= 500) return saysContext() ? 'context_length_exceeded' : 'upstream_error'
  // 413: too many bytes ("Request exceeds the maximum allowed number of bytes"), unless it speaks of tokens
  if (status === 413) {
    return /token/i.test(words) && saysContext() ? 'context_length_exceeded' : 'payload_too_large'
  }
  // the gateway's configuration: a retired model id, an inference profile, a region
  if (CONFIGURATION.test(lower)) return 'upstream_error'
  if (saysContext()) return 'context_length_exceeded'
  if (FILTER.test(lower)) return 'content_filtered'
  // What the model cannot do, before the status: a router's 404 ("no endpoints found that support tool use") too.
  if (UNSUPPORTED.test(error.message)) {
    const capability = capabilityOf(error.message, error.param)
    if (capability !== undefined) return capability
  }
  // the gateway's configuration names a model the provider lacks
  // Stryker disable next-line StringLiteral: a placeholder for a missing type or code matches no phrase
  if (status === 404 || MODEL_MISSING.test(`${error.code ?? ''} ${error.type ?? ''}`)) return 'upstream_error'
  if (UNKNOWN_PARAM.test(error.message)) return 'unknown_field'
  if (MISSING_PARAM.test(error.message) && paramOf(error) !== undefined) return 'missing_required_parameter'
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
  // The wait is read (the body parsed again, the message searched) only for a code that states one.
  let waitRead = false
  let rawWait: number | undefined
  const waitOf = (): number | undefined => {
    if (!waitRead) {
      waitRead = true
      rawWait = providerWait(input.headers, error === undefined ? undefined : parse(input.body))
    }
    return rawWait
  }
  const code = classify(input.status, error, waitOf)
  const upstream: Record<string, unknown> = { status: input.status }
  if (input.provider !== undefined) upstream.provider = input.provider
  if (error?.type !== undefined) upstream.type = redactString(error.type, 60)
  if (error?.code !== undefined) upstream.code = redactString(error.code, 60)
  const details: Record<string, unknown> = {
    ...(input.provider === undefined ? {} : { provider: input.provider }),
    upstream
  }
  // Only a provider's error object is classified context_length_exceeded: there is one
  if (code === 'context_length_exceeded' && error !== undefined) {
    Object.assign(details, contextNumbers(error.message, error.counts))
  }
  if (
    (code === 'invalid_parameter_value' || code === 'unknown_field' || code === 'missing_required_parameter') &&
    error !== undefined
  ) {
    const param = paramOf(error)
    if (param !== undefined) details.param = param
  }
  const stated = code === 'rate_limit_exceeded' || code === 'model_unavailable' ? waitOf() : undefined
  if (code === 'rate_limit_exceeded' && stated !== undefined) details.retry_after_ms = Math.ceil(stated)
  if (code === 'model_unavailable' && input.status !== 429 && (stated ?? Infinity) <= MAX_RETRY_AFTER_MS) {
    details.retry_after_ms = Math.ceil(stated as number)
  }
  if (input.excerpt === true && error !== undefined && error.message !== '') {
    details.excerpt = redactString(error.message, 160)
  }
  return { code, details }
}

export { isSafetyBlock, statusOfError } from './provider-words'
