// The vocabulary of provider errors: the words, field names and documented codes that say what
// went wrong, whichever provider, envelope or language. provider-errors.ts decides with them.
// CONTEXT, FILTER, QUOTA and CONFIGURATION are matched against lower-cased words (case-sensitive
// alternations cost about half as much as case-insensitive ones, and each reply is lowered once).
import type { GatewayErrorCode } from '../catalog/catalog'
import { anyOf, precededWithin } from './patterns'

export const CONTEXT = anyOf([
  'context.length', 'context.window', 'maximum context', 'prompt is too long', 'input is too long',
  'too many (?:input )?tokens', 'available context', 'exceed_context_size',
  'exceeds? the (?:max|model)', 'reduce the length', 'token limit', 'input length', 'maximum (?:input|prompt) length',
  // text-generation-inference: "`inputs` tokens + `max_new_tokens` must be <= 2048", "`inputs` must
  // have less than 1024 tokens"
  'max_new_tokens`? must be', 'must have less than \\d{1,9} tokens'
])

// A safety system refused the input, in any provider's words (DeepSeek's "Content Exists Risk",
// Moonshot's "considered high risk", DashScope's "inappropriate content", Zhipu's 敏感/不安全).
export const FILTER = anyOf([
  'content.?filter', 'content.?policy', 'content.?management', 'safety', 'moderation', 'responsible ai', 'blocked',
  'content exists risk', 'considered high risk', 'inappropriate content', 'sensitive content', 'data.?inspection',
  'flagged', '不安全', '敏感', '违规'
])

// The gateway's own provider account is out of money or allowance.
export const QUOTA = anyOf([
  'billing', 'credit', 'quota', 'exceeded your current', 'payment', 'balance', 'recharge', 'top.?up', 'arrear',
  'out of (?:extra )?usage', '欠费', '余额'
])
// Advice, not a statement: "(e.g. check quota)" beside Gemini's per-minute limit, "please check your
// plan and billing details" beside OpenAI's (the statement, "exceeded your current quota", stays).
export const QUOTA_ADVICE = /\bcheck (?:your )?(?:quota|plan|billing)[^.)]{0,80}/gi
// A quota whose allowance is zero: no wait can cure it ("limit: 0, model: gemini-2.5-pro").
export const NO_ALLOWANCE = /\blimit:? 0\b/i

// The gateway's configuration, not the caller's request: a model id retired or needing an inference
// profile, a deployment or region the provider does not serve.
export const CONFIGURATION = anyOf([
  'decommissioned', 'no longer (?:supported|available)', 'inference profile', 'on-demand throughput',
  'location is not supported', 'region is not supported', 'not available in your (?:region|country)',
  'unsupported (?:country|region)'
])

export const UNKNOWN_PARAM = anyOf([
  'unrecognized request argument', 'unknown (?:parameter|field|argument|name)',
  'extra (?:inputs|fields) (?:are )?not permitted', 'extra_forbidden', 'cannot find field',
  'additional properties', 'unexpected (?:keyword|field)', 'extraneous key'
], 'i')

// Documented provider codes that decide, whatever the status and the language of the message.
// Zhipu / Z.ai (docs.bigmodel.cn, "API error codes"), SiliconFlow, Alibaba DashScope, Groq.
const DOCUMENTED: Record<string, GatewayErrorCode> = {
  1113: 'model_unavailable', // the account is in arrears
  1211: 'upstream_error', // the model does not exist
  1261: 'context_length_exceeded', // the prompt is too long
  1301: 'content_filtered', // unsafe or sensitive content
  1302: 'rate_limit_exceeded', // too many concurrent requests
  1303: 'rate_limit_exceeded', // requests too frequent
  1304: 'model_unavailable', // the daily call limit is reached
  30001: 'model_unavailable', // SiliconFlow: insufficient balance
  30011: 'model_unavailable', // SiliconFlow: the model needs a paid balance
  DataInspectionFailed: 'content_filtered',
  data_inspection_failed: 'content_filtered',
  Arrearage: 'model_unavailable',
  model_decommissioned: 'upstream_error'
}
export const PROVIDER_CODES: Readonly<Record<string, GatewayErrorCode | undefined>> = Object.assign(
  Object.create(null) as object,
  DOCUMENTED
)

export const MISSING_PARAM = /missing required|is required|field required|must be provided|required key \[/i

const SAFETY_STOPS = /^(?:SAFETY|PROHIBITED_CONTENT|BLOCKLIST|SPII)$/

export const UNSUPPORTED = anyOf([
  'not supported', 'does not support', 'unsupported', 'not enabled', 'only supported by',
  'no endpoints? found that support'
], 'i')
// Per capability: words that name it anywhere, and (optionally) words that name it just before "not supported".
const NOT_SUPPORTED = /not supported/gi
const STRUCTURED = /json|mime type|structured|response.?format/i
const CAPABILITIES: Array<[RegExp, RegExp | undefined, GatewayErrorCode]> = [
  [/tool.?choice|function calling mode/i, undefined, 'tool_choice_required_not_supported'],
  [/does not support (?:tools|function|tool)|function calling|tool use/i, /\btools?\b/i, 'tools_not_supported'],
  [/image|vision|multimodal/i, undefined, 'vision_not_supported'],
  [/does not support stream/i, /\bstream(?:ing)?\b/i, 'streaming_not_supported'],
  [/json.?schema|structured output/i, undefined, 'structured_output_not_supported'],
  [/json.?mode|response.?format|json_object/i, undefined, 'json_mode_not_supported'],
  [/reasoning|thinking/i, undefined, 'reasoning_not_supported']
]
// A request field that names a capability: refused "with this model", the model lacks it.
const FIELD_CAPABILITIES: Record<string, GatewayErrorCode> = {
  stream: 'streaming_not_supported',
  tools: 'tools_not_supported',
  functions: 'tools_not_supported',
  tool_choice: 'tool_choice_required_not_supported',
  response_format: 'json_mode_not_supported',
  reasoning_effort: 'reasoning_not_supported',
  modalities: 'unsupported_modalities'
}
const CAPABILITY_FIELDS: Readonly<Record<string, GatewayErrorCode | undefined>> = Object.assign(
  Object.create(null) as object,
  FIELD_CAPABILITIES
)

/** The capability a refusal names, from the field at fault or the words. */
export function capabilityOf (message: string, param: string | undefined): GatewayErrorCode | undefined {
  const byField = param === undefined ? undefined : CAPABILITY_FIELDS[param]
  // response_format refused for a JSON schema: structured output is what is missing, not JSON mode
  if (byField === 'json_mode_not_supported' && /json.?schema/i.test(message)) return 'structured_output_not_supported'
  if (byField !== undefined) return byField
  for (const [anywhere, named, code] of CAPABILITIES) {
    const namedBefore = named !== undefined && precededWithin(message, NOT_SUPPORTED, named, 90)
    if (!anywhere.test(message) && !namedBefore) continue
    // Tools refused because a structured reply was asked for too: the pair is what is missing.
    return code === 'tools_not_supported' && STRUCTURED.test(message)
      ? 'tools_with_structured_output_not_supported'
      : code
  }
  return undefined
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
