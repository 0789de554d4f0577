// Response schemas, derived from the catalog: one per envelope and status, with `code` as the enum
// of that status's codes, a description listing them and one example body per code.
import type { Static, TObject } from '@sinclair/typebox'
import { catalog, codesFor, statuses, type CodesWithStatus, type GatewayErrorCode, type GatewayErrorStatus, type ResponseKey } from './catalog'
import { envelopes, type Envelope } from './envelopes'
import { openAISchema } from './envelopes/openai'
import { resolvedEntries } from './resolved'

export const EXAMPLE_REQUEST_ID = 'req-example'

function describeCodes (codes: readonly GatewayErrorCode[]): string {
  return codes.map((code) => `- \`${code}\`${catalog[code].retryable ? ' (retryable)' : ''}: ${catalog[code].message}`).join('\n')
}

export function exampleBody (envelope: Envelope, code: GatewayErrorCode): unknown {
  const entry = resolvedEntries[code]
  return envelope.body({ entry, message: entry.message, param: entry.param, details: undefined, requestId: EXAMPLE_REQUEST_ID })
}

/** The schema of one status's (or range's) error replies in one envelope, narrowed to `codes` when given. */
export function errorSchema (envelope: Envelope, key: ResponseKey, codes: readonly GatewayErrorCode[] = codesFor(key)): TObject {
  const narrowed = codes.length !== codesFor(key).length
  const schema = envelope.schema(codes)
  return {
    ...schema,
    ...(narrowed ? {} : { $id: envelope.schemaId(key) }),
    title: envelope.schemaId(key),
    description: `Error ${key}. Codes:\n${describeCodes(codes)}`,
    examples: codes.map((code) => exampleBody(envelope, code))
  }
}

type OpenAIErrorSchemas = { [S in GatewayErrorStatus]: ReturnType<typeof openAISchema<CodesWithStatus<S>>> }

/** The OpenAI-envelope schema of every status, keyed by status (`$id` GatewayError404, …). */
export const GatewayErrorSchemas = Object.fromEntries(
  statuses.map((status) => [status, errorSchema(envelopes.openai, status)])
) as unknown as OpenAIErrorSchemas

export type GatewayErrorBody<S extends GatewayErrorStatus = GatewayErrorStatus> = Static<OpenAIErrorSchemas[S]>
