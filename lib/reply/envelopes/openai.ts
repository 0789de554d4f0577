// The OpenAI error envelope: what the openai SDK, the Vercel AI SDK and most gateways' clients read.
import { Type } from '@sinclair/typebox'
import { catalogEntries, type CatalogOf, type GatewayErrorCode } from '../../catalog/catalog'
import { NullableString, OpenDetails, stringEnum, type Envelope, type ErrorInstance } from './envelope'

export function openAISchema<C extends GatewayErrorCode> (codes: readonly C[], source: CatalogOf = catalogEntries) {
  return Type.Object({
    error: Type.Object({
      message: Type.String({
        description: 'The catalog message, made specific by the details when they name the subject'
      }),
      type: stringEnum(codes.map((code) => source[code].type)),
      code: stringEnum(codes, 'The catalog code'),
      param: NullableString,
      request_id: Type.String(),
      retryable: Type.Boolean({ description: 'Whether sending the same request again can succeed' }),
      doc_url: Type.Optional(Type.String({
        description: 'The code\'s documentation page (with the `docsUrl` or `docsRoute` option)'
      })),
      details: Type.Optional(OpenDetails)
    })
  })
}

export const openAIEnvelope: Envelope = {
  name: 'openai',
  contentType: 'application/json; charset=utf-8',
  requestIdHeader: 'x-request-id',
  schemaId: (status) => `GatewayError${status}`,
  codePath: ['error', 'code'],
  schema: openAISchema,
  body: (error: ErrorInstance) => ({
    error: {
      message: error.message,
      type: error.entry.type,
      code: error.entry.code,
      param: error.param,
      request_id: error.requestId,
      retryable: error.entry.retryable,
      doc_url: error.docUrl,
      details: error.details
    }
  }),
  sseFrame: (body) => `data: ${body}\n\n`
}
