// The catalog: every error the gateway can report, defined once. Types, schemas, documentation and
// tests are all derived from this object; adding an entry here is the whole change.
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox'
import {
  Attempts, Field, Provider, RetryAfter, Routing,
  fieldSubject, modelSubject, providerSubject, quote
} from './details'

/** The `error.type` values OpenAI-compatible clients know. */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'rate_limit_exceeded'
  | 'insufficient_quota'
  | 'server_error'

interface EntrySpec<S extends number, P extends TProperties> {
  status: S
  message: string
  /** Whether sending the same request again can succeed. */
  retryable: boolean
  /**
   * Defaults by status: 401 authentication_error, 403 permission_error, 5xx server_error, else
   * invalid_request_error.
   */
  type?: OpenAIErrorType
  /** The request field a client must change, when the code always concerns one field. */
  param?: string
  /** The entry means "too busy right now" (Anthropic clients read it as overloaded_error). */
  overload?: boolean
  details?: P
  /** The subject that makes the message specific, e.g. which model; appended as `message: subject`. */
  subject?: (details: Static<TObject<P>>) => string | undefined
  /**
   * Words widely used clients look for in a message to classify an error (LangChain's context
   * overflow, its quota stop), appended after the subject to every message of the code.
   */
  clientWords?: string
}

export interface CatalogEntry<S extends number = number, P extends TProperties = TProperties> {
  readonly status: S
  readonly message: string
  readonly retryable: boolean
  readonly type: OpenAIErrorType
  readonly param: string | null
  readonly overload: boolean
  readonly details: TObject<P>
  readonly subject: ((details: Static<TObject<P>>) => string | undefined) | undefined
  readonly clientWords: string | undefined
}

function defaultType (status: number): OpenAIErrorType {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

/** One catalog entry from its definition (also for the codes `extraCodes` adds). */
export function entry<const S extends number, P extends TProperties = {}> (spec: EntrySpec<S, P>): CatalogEntry<S, P> {
  return {
    status: spec.status,
    message: spec.message,
    retryable: spec.retryable,
    type: spec.type ?? defaultType(spec.status),
    param: spec.param ?? null,
    overload: spec.overload ?? false,
    details: Type.Object({ ...(spec.details ?? ({} as P)), ...Attempts }) as unknown as TObject<P>,
    subject: spec.subject,
    clientWords: spec.clientWords
  }
}

const routing = { details: Routing, subject: modelSubject }

export const catalog = {
  batch_only: entry({
    status: 400,
    message: 'Model is batch-only and cannot serve real-time requests',
    retryable: false,
    param: 'model',
    ...routing
  }),
  budget_exhausted: entry({
    status: 429,
    message: 'Account or project budget reached',
    retryable: false,
    type: 'insufficient_quota',
    details: {
      scope: Type.Optional(Type.String({ description: 'account or project' })),
      limit_usd: Type.Optional(Type.Number())
    },
    subject: (d) => d.limit_usd === undefined ? d.scope : `${d.scope ?? 'budget'} limit $${d.limit_usd}`,
    clientWords: 'usage quota exhausted'
  }),
  byok_keys_required: entry({
    status: 400,
    message: 'BYOK keys required but none are configured',
    retryable: false,
    ...routing
  }),
  client_disconnected: entry({
    status: 0,
    message: 'Client closed the connection before the response completed',
    retryable: false,
    details: { elapsed_ms: Type.Optional(Type.Number()) }
  }),
  content_filtered: entry({
    status: 400,
    message: 'The upstream provider’s content filter rejects the request',
    retryable: false,
    details: { ...Routing, ...Provider },
    subject: providerSubject
  }),
  context_length_exceeded: entry({
    status: 400,
    message: 'Token count exceeds the model’s context window',
    retryable: false,
    param: 'messages',
    details: {
      ...Routing,
      requested_tokens: Type.Integer({ minimum: 0 }),
      max_context_tokens: Type.Integer({ minimum: 0 })
    },
    subject: (d) => `prompt is too long: ${d.requested_tokens} tokens > ${d.max_context_tokens} maximum`,
    clientWords: 'the request exceeds the maximum context length'
  }),
  cost_constraint_exceeded: entry({
    status: 400,
    message: 'No provider meets the cost constraint',
    retryable: false,
    ...routing
  }),
  duplicate_resource: entry({
    status: 409,
    message: 'A resource with this identifier already exists',
    retryable: false,
    details: { resource: Type.Optional(Type.String()), id: Type.Optional(Type.String()) },
    subject: (d) => d.id === undefined ? undefined : `${d.resource ?? 'resource'} ${quote(d.id)}`
  }),
  expired_api_key: entry({
    status: 401,
    message: 'API key has expired',
    retryable: false,
    details: {
      key_hint: Type.Optional(Type.String({ description: 'A masked hint of the key, e.g. sk-…a1b2' })),
      expired_at: Type.Optional(Type.String())
    },
    subject: (d) => d.expired_at === undefined ? undefined : `expired at ${quote(d.expired_at)}`
  }),
  feature_disabled: entry({
    status: 403,
    message: 'Feature is not available for this account or plan',
    retryable: false,
    details: { feature: Type.String() },
    subject: (d) => quote(d.feature)
  }),
  field_immutable: entry({
    status: 400,
    message: 'Field cannot be modified after resource creation',
    retryable: false,
    details: Field,
    subject: fieldSubject
  }),
  hosted_tool_not_supported: entry({
    status: 400,
    message: 'Model does not support the requested hosted tool on available providers',
    retryable: false,
    param: 'tools',
    details: { ...Routing, tool: Type.Optional(Type.String()) },
    subject: (d) => d.tool === undefined ? modelSubject(d) : `tool ${quote(d.tool)}`
  }),
  idempotency_conflict: entry({
    status: 409,
    message: 'Idempotency key reused with a different payload',
    retryable: false,
    details: { idempotency_key: Type.Optional(Type.String()) },
    subject: (d) => d.idempotency_key === undefined ? undefined : quote(d.idempotency_key)
  }),
  insufficient_permissions: entry({
    status: 403,
    message: 'Caller authenticated but lacks the required scope',
    retryable: false,
    details: { required_scope: Type.String() },
    subject: (d) => `requires ${quote(d.required_scope)}`
  }),
  insufficient_quota: entry({
    status: 429,
    message: 'No quota remaining on the current plan',
    retryable: false,
    type: 'insufficient_quota'
  }),
  internal_error: entry({ status: 500, message: 'Unexpected server error', retryable: false }),
  invalid_api_key: entry({
    status: 401,
    message: 'API key is missing, malformed, revoked, or unrecognized',
    retryable: false,
    details: { key_hint: Type.Optional(Type.String({ description: 'A masked hint of the key, e.g. sk-…a1b2' })) },
    subject: (d) => d.key_hint
  }),
  invalid_parameter_value: entry({
    status: 400,
    message: 'Field present, value outside allowed range or set',
    retryable: false,
    details: { ...Field, reason: Type.Optional(Type.String()) },
    subject: (d) => d.reason === undefined ? fieldSubject(d) : `${fieldSubject(d)} ${d.reason}`
  }),
  invalid_recovery_code: entry({
    status: 401,
    message: 'MFA recovery code is invalid or already used',
    retryable: false
  }),
  invalid_request: entry({
    status: 400,
    message: 'Malformed or invalid request',
    retryable: false,
    details: { reason: Type.Optional(Type.String()) },
    subject: (d) => d.reason
  }),
  json_mode_not_supported: entry({
    status: 400,
    message: 'Model does not support JSON mode',
    retryable: false,
    param: 'response_format',
    ...routing
  }),
  latency_constraint_exceeded: entry({
    status: 400,
    message: 'No provider meets the latency constraint',
    retryable: false,
    ...routing
  }),
  method_not_allowed: entry({
    status: 405,
    message: 'HTTP method not supported on this endpoint',
    retryable: false,
    details: { method: Type.String(), allowed: Type.Array(Type.String()) },
    subject: (d) => `${quote(d.method)}; allowed: ${d.allowed.join(', ')}`
  }),
  mfa_required: entry({
    status: 403,
    message: 'Action requires multi-factor authentication step-up',
    retryable: false,
    details: { action: Type.Optional(Type.String()) },
    subject: (d) => d.action === undefined ? undefined : quote(d.action)
  }),
  mfa_verification_failed: entry({
    status: 401,
    message: 'TOTP verification code is incorrect or expired',
    retryable: false
  }),
  missing_required_parameter: entry({
    status: 400,
    message: 'Required parameter not provided',
    retryable: false,
    details: Field,
    subject: fieldSubject
  }),
  model_not_found: entry({
    status: 404,
    message: 'Requested model ID isn’t in the catalog',
    retryable: false,
    param: 'model',
    details: { model: Type.String({ description: 'The model the request named' }) },
    subject: (d) => quote(d.model)
  }),
  model_unavailable: entry({
    status: 503,
    message: 'The requested model is temporarily unavailable',
    retryable: true,
    overload: true,
    param: 'model',
    details: { ...Routing, ...RetryAfter, ...Provider },
    subject: (d) => modelSubject(d) ?? providerSubject(d)
  }),
  no_compatible_endpoint: entry({
    status: 400,
    message: 'No provider supports the required API endpoint for this model',
    retryable: false,
    details: { ...Routing, endpoint: Type.Optional(Type.String()) },
    subject: (d) => d.endpoint === undefined ? modelSubject(d) : `endpoint ${quote(d.endpoint)}`
  }),
  no_provider_available: entry({
    status: 503,
    message: 'No provider can serve this request right now',
    retryable: true,
    details: { ...Routing, ...RetryAfter },
    subject: modelSubject
  }),
  no_responses_endpoint: entry({
    status: 400,
    message: 'Request requires the Response API but no provider supports it for this model',
    retryable: false,
    ...routing
  }),
  non_streaming_not_supported: entry({
    status: 400,
    message: 'Model requires streaming',
    retryable: false,
    param: 'stream',
    ...routing
  }),
  operation_not_allowed: entry({
    status: 400,
    message: 'Operation not permitted for current resource state or role',
    retryable: false,
    details: { operation: Type.Optional(Type.String()), reason: Type.Optional(Type.String()) },
    subject: (d) => d.operation === undefined ? d.reason : quote(d.operation)
  }),
  payload_too_large: entry({
    status: 413,
    message: 'Request body exceeds the size limit',
    retryable: false,
    details: { limit_bytes: Type.Optional(Type.Integer({ minimum: 0 })) },
    subject: (d) => d.limit_bytes === undefined ? undefined : `limit is ${d.limit_bytes} bytes`
  }),
  platform_keys_unavailable: entry({
    status: 400,
    message: 'No platform keys available for this model',
    retryable: false,
    ...routing
  }),
  provider_blocked: entry({
    status: 400,
    message: 'All providers for this model are in the blocklist',
    retryable: false,
    param: 'provider',
    ...routing
  }),
  provider_not_in_allowlist: entry({
    status: 400,
    message: 'No provider in the allowlist supports this model',
    retryable: false,
    param: 'provider',
    ...routing
  }),
  rate_limit_exceeded: entry({
    status: 429,
    message: 'Requests-per-minute cap hit',
    retryable: true,
    type: 'rate_limit_exceeded',
    details: { limit: Type.Optional(Type.Integer({ minimum: 0 })), ...RetryAfter },
    subject: (d) => d.limit === undefined ? undefined : `limit ${d.limit} per minute`
  }),
  reasoning_not_supported: entry({
    status: 400,
    message: 'Model does not support reasoning/extended thinking',
    retryable: false,
    ...routing
  }),
  required_params_not_supported: entry({
    status: 400,
    message: 'No provider supports all required parameters',
    retryable: false,
    details: { ...Routing, params: Type.Optional(Type.Array(Type.String())) },
    subject: (d) => d.params === undefined || d.params.length === 0 ? modelSubject(d) : d.params.map(quote).join(', ')
  }),
  resource_not_found: entry({
    status: 404,
    message: 'Requested resource not found',
    retryable: false,
    details: { resource: Type.Optional(Type.String()), id: Type.Optional(Type.String()) },
    subject: (d) => d.id === undefined ? undefined : `${d.resource ?? 'resource'} ${quote(d.id)}`
  }),
  response_api_only: entry({
    status: 400,
    message: 'Model is only available via the Response API',
    retryable: false,
    ...routing
  }),
  service_unavailable: entry({
    status: 503,
    message: 'Planned or temporary capacity shortage',
    retryable: true,
    overload: true,
    details: RetryAfter
  }),
  state_precondition_failed: entry({
    status: 409,
    message: 'Resource is not in the required state for this operation',
    retryable: false,
    details: {
      resource: Type.Optional(Type.String()),
      state: Type.Optional(Type.String()),
      required_state: Type.Optional(Type.String())
    },
    subject: (d) => d.state === undefined
      ? undefined
      : `state is ${quote(d.state)}${d.required_state === undefined ? '' : `, needs ${quote(d.required_state)}`}`
  }),
  streaming_not_supported: entry({
    status: 400,
    message: 'Model does not support streaming',
    retryable: false,
    param: 'stream',
    ...routing
  }),
  structured_output_not_supported: entry({
    status: 400,
    message: 'Model does not support structured output',
    retryable: false,
    param: 'response_format',
    ...routing
  }),
  thinking_disable_not_supported: entry({
    status: 400,
    message: 'Model does not support disabling thinking',
    retryable: false,
    ...routing
  }),
  throughput_constraint_not_met: entry({
    status: 400,
    message: 'No provider meets the throughput constraint',
    retryable: false,
    ...routing
  }),
  tier_opt_in_required: entry({
    status: 400,
    message: 'Model requires explicit tier opt-in (e.g., priority tier for fast mode)',
    retryable: false,
    param: 'service_tier',
    ...routing
  }),
  tool_choice_required_not_supported: entry({
    status: 400,
    message: 'Model does not support tool_choice=“required”',
    retryable: false,
    param: 'tool_choice',
    ...routing
  }),
  tools_not_supported: entry({
    status: 400,
    message: 'Model does not support tool/function calling',
    retryable: false,
    param: 'tools',
    ...routing
  }),
  tools_with_structured_output_not_supported: entry({
    status: 400,
    message: 'Model does not support tools with structured output',
    retryable: false,
    param: 'response_format',
    ...routing
  }),
  unknown_field: entry({
    status: 400,
    message: 'Request contains an unrecognized field',
    retryable: false,
    details: Field,
    subject: fieldSubject
  }),
  unsupported_modalities: entry({
    status: 400,
    message: 'Audio output is not supported',
    retryable: false,
    param: 'modalities',
    ...routing
  }),
  upstream_error: entry({
    status: 502,
    message: 'An upstream provider returned an invalid or unparseable response',
    retryable: true,
    details: {
      ...Provider,
      ...RetryAfter,
      excerpt: Type.Optional(Type.String({
        description: 'A short, sanitised excerpt of the upstream body, when enabled'
      }))
    },
    subject: providerSubject
  }),
  upstream_timeout: entry({
    status: 504,
    message: 'Upstream exceeded the request deadline',
    retryable: true,
    details: { ...Provider, ...RetryAfter, timeout_ms: Type.Optional(Type.Integer({ minimum: 0 })) },
    subject: (d) => d.timeout_ms === undefined ? providerSubject(d) : `no answer within ${d.timeout_ms} ms`
  }),
  vision_not_supported: entry({
    status: 400,
    message: 'Model does not support vision/image input',
    retryable: false,
    param: 'messages',
    ...routing
  })
}

export type Catalog = typeof catalog
export type GatewayErrorCode = keyof Catalog
/** The typed details a code accepts. */
export type GatewayErrorDetails<C extends GatewayErrorCode> = Static<Catalog[C]['details']>
/** Codes that are written to the client (all but status 0). */
export type SendableCode = { [C in GatewayErrorCode]: Catalog[C]['status'] extends 0 ? never : C }[GatewayErrorCode]
export type GatewayErrorStatus = Catalog[SendableCode]['status']
export type CodesWithStatus<S extends number> =
  { [C in GatewayErrorCode]: Catalog[C]['status'] extends S ? C : never }[GatewayErrorCode]

// Frozen: an app's own codes live in its registry (registry.ts), never here.
for (const definition of Object.values(catalog)) Object.freeze(definition)
Object.freeze(catalog)

/** Any catalog of codes and entries: this one, or an app's with its own codes (registry.ts). */
export type CatalogOf = Readonly<Record<GatewayErrorCode, CatalogEntry>>
/** The catalog, with its entries seen as plain CatalogEntry values. */
export const catalogEntries = catalog as unknown as CatalogOf

/** The code lists of any catalog (this one, or an app's registry): every code, the sendable ones, their statuses. */
export function codeListsOf (source: CatalogOf): {
  codes: readonly GatewayErrorCode[]
  sendableCodes: readonly GatewayErrorCode[]
  statuses: readonly GatewayErrorStatus[]
} {
  const all = Object.freeze(Object.keys(source) as GatewayErrorCode[])
  const sendable = Object.freeze(all.filter((code) => source[code].status !== 0))
  const statusList = [...new Set(sendable.map((code) => source[code].status))].sort((a, b) => a - b)
  return { codes: all, sendableCodes: sendable, statuses: Object.freeze(statusList as GatewayErrorStatus[]) }
}

const lists = codeListsOf(catalogEntries)
export const codes: readonly GatewayErrorCode[] = lists.codes
export const sendableCodes = lists.sendableCodes as readonly SendableCode[]
export const statuses: readonly GatewayErrorStatus[] = lists.statuses

/** The definition of a code of the gateway's own (`extraCodes`), as the catalog's are written. */
export interface ExtraCodeDefinition {
  status: number
  message: string
  type?: OpenAIErrorType
  retryable?: boolean
  param?: string
}

export function isGatewayErrorCode (value: unknown): value is GatewayErrorCode {
  return typeof value === 'string' && Object.hasOwn(catalog, value)
}

export function codesWithStatus<S extends GatewayErrorStatus> (status: S): Array<CodesWithStatus<S>> {
  return sendableCodes.filter((code) => catalog[code].status === status) as Array<CodesWithStatus<S>>
}

/** A key of a route's `response` schemas: one status, or a range (`routeSchemas: 'ranges'`). */
export type ResponseKey = GatewayErrorStatus | '4xx' | '5xx'
