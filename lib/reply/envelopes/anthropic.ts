// The Anthropic Messages error envelope. @anthropic-ai/sdk reads `error.details.error_code` into
// `err.errorCode` and the `request-id` header into `err.requestID`. The code is also `error.code`:
// clients that keep only `error.type`, `message` and `code` of an Anthropic error (the Vercel AI
// SDK's Anthropic provider, in stream error events) find it there.
import { Type } from '@sinclair/typebox'
import { catalogEntries, type CatalogOf, type GatewayErrorCode } from '../../catalog/catalog'
import { NullableString, stringEnum, type Envelope, type ErrorInstance, type ResolvedEntry } from './envelope'

const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error'
}

export function anthropicType (entry: Pick<ResolvedEntry, 'status' | 'overload'>): string {
  if (entry.overload) return 'overloaded_error'
  return TYPE_BY_STATUS[entry.status] ?? (entry.status >= 500 ? 'api_error' : 'invalid_request_error')
}

export function anthropicSchema<C extends GatewayErrorCode> (codes: readonly C[], source: CatalogOf = catalogEntries) {
  return Type.Object({
    type: Type.Literal('error'),
    error: Type.Object({
      type: stringEnum(codes.map((code) => anthropicType(source[code]))),
      message: Type.String(),
      code: stringEnum(codes, 'The catalog code, as in details.error_code'),
      details: Type.Object({
        error_code: stringEnum(codes, 'The catalog code'),
        param: NullableString,
        retryable: Type.Boolean(),
        doc_url: Type.Optional(Type.String({ description: 'The code\'s documentation page' }))
      }, { additionalProperties: true })
    }),
    request_id: Type.String()
  })
}

export const anthropicEnvelope: Envelope = {
  name: 'anthropic',
  contentType: 'application/json; charset=utf-8',
  requestIdHeader: 'request-id',
  schemaId: (status) => `AnthropicError${status}`,
  codePath: ['error', 'details', 'error_code'],
  schema: anthropicSchema,
  body: (error: ErrorInstance) => ({
    type: 'error',
    error: {
      type: anthropicType(error.entry),
      message: error.message,
      code: error.entry.code,
      details: {
        ...error.details,
        error_code: error.entry.code,
        param: error.param,
        retryable: error.entry.retryable,
        doc_url: error.docUrl
      }
    },
    request_id: error.requestId
  }),
  sseFrame: (body) => `event: error\ndata: ${body}\n\n`
}
