// Response schemas, derived from the catalog: one per envelope and status, with `code` as the enum
// of that status's codes, a description listing them and one example body per code.
import type { Static, TObject } from '@sinclair/typebox'
import {
  statuses,
  type CodesWithStatus,
  type GatewayErrorCode,
  type GatewayErrorStatus,
  type ResponseKey
} from '../catalog/catalog'
import { baseRegistry, type Registry } from '../catalog/registry'
import { envelopes, type Envelope } from './envelopes'
import { openAISchema } from './envelopes/openai'

export const EXAMPLE_REQUEST_ID = 'req-example'

function describeCodes (codes: readonly GatewayErrorCode[], registry: Registry): string {
  return codes.map((code) => {
    const { retryable, message } = registry.catalog[code]
    return `- \`${code}\`${retryable ? ' (retryable)' : ''}: ${message}`
  }).join('\n')
}

/** The body of `code`'s reply without details, as the app with this registry sends it (request id aside). */
export function exampleBody (
  envelope: Envelope,
  code: GatewayErrorCode,
  docUrl?: string,
  registry: Registry = baseRegistry
): unknown {
  const entry = registry.entries[code]
  return envelope.body({
    entry,
    message: entry.plainMessage,
    param: entry.param,
    details: undefined,
    requestId: EXAMPLE_REQUEST_ID,
    docUrl
  })
}

/**
 * The schema of one status's (or range's) error replies in one envelope, narrowed to `codes` when
 * given. The full schema of an envelope and key is built once per registry and shared: the
 * exported schemas, the serializers' and the documented ones are the same objects.
 */
export function errorSchema (
  envelope: Envelope,
  key: ResponseKey,
  codes?: readonly GatewayErrorCode[],
  registry: Registry = baseRegistry
): TObject {
  const all = registry.codesFor(key)
  const chosen = codes ?? all
  const narrowed = chosen.length !== all.length
  const id = envelope.schemaId(key)
  const cached = narrowed ? undefined : registry.schemas.get(id)
  if (cached !== undefined) return cached
  const schema: TObject = {
    ...envelope.schema(chosen, registry.catalog),
    ...(narrowed ? {} : { $id: id }),
    title: id,
    description: `Error ${key}. Codes:\n${describeCodes(chosen, registry)}`,
    examples: chosen.map((code) => exampleBody(envelope, code, undefined, registry))
  }
  if (!narrowed) registry.schemas.set(id, schema)
  return schema
}

type OpenAIErrorSchemas = { [S in GatewayErrorStatus]: ReturnType<typeof openAISchema<CodesWithStatus<S>>> }

/** The OpenAI-envelope schema of every status, keyed by status (`$id` GatewayError404, …). */
export const GatewayErrorSchemas = Object.freeze(Object.fromEntries(
  statuses.map((status) => [status, errorSchema(envelopes.openai, status)])
)) as OpenAIErrorSchemas

export type GatewayErrorBody<S extends GatewayErrorStatus = GatewayErrorStatus> = Static<OpenAIErrorSchemas[S]>
