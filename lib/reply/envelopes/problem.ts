// RFC 9457 problem details, for clients that ask for application/problem+json.
import { Type } from '@sinclair/typebox'
import type { GatewayErrorCode } from '../../catalog/catalog'
import { NullableString, OpenDetails, stringEnum, type Envelope, type ErrorInstance } from './envelope'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'
export const PROBLEM_TYPE_BASE = 'urn:gateway-error:'

export function problemSchema<C extends GatewayErrorCode> (codes: readonly C[]) {
  return Type.Object({
    type: Type.String({
      description: `A URI naming the catalog code: its documentation page, or ${PROBLEM_TYPE_BASE}<code>`
    }),
    title: Type.String({ description: 'The catalog message' }),
    status: Type.Integer(),
    detail: Type.String({ description: 'The message made specific to this occurrence' }),
    instance: Type.String(),
    code: stringEnum(codes, 'The catalog code'),
    request_id: Type.String(),
    retryable: Type.Boolean(),
    param: NullableString,
    details: Type.Optional(OpenDetails)
  })
}

export const problemEnvelope: Envelope = {
  name: 'problem',
  contentType: `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
  requestIdHeader: 'x-request-id',
  schemaId: (status) => `ProblemDetails${status}`,
  codePath: ['code'],
  schema: problemSchema,
  body: (error: ErrorInstance) => ({
    type: error.docUrl ?? PROBLEM_TYPE_BASE + error.entry.code,
    title: error.entry.message,
    status: error.entry.status,
    detail: error.message,
    instance: `urn:request:${error.requestId}`,
    code: error.entry.code,
    request_id: error.requestId,
    retryable: error.entry.retryable,
    param: error.param,
    details: error.details
  }),
  sseFrame: (body) => `event: error\ndata: ${body}\n\n`
}
