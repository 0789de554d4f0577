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

export function exampleBody (envelope: Envelope, code: GatewayErrorCode, docUrl?: string): unknown {
  const entry = resolvedEntries[code]
  return envelope.body({ entry, message: entry.plainMessage, param: entry.param, details: undefined, requestId: EXAMPLE_REQUEST_ID, docUrl })
}

// The full schema of an envelope and key is built once and shared: the exported schemas, the ones
// registered with addSchema and attached to routes are the same objects.
const fullSchemas = new Map<string, TObject>()

/** The schema of one status's (or range's) error replies in one envelope, narrowed to `codes` when given. */
export function errorSchema (envelope: Envelope, key: ResponseKey, codes: readonly GatewayErrorCode[] = codesFor(key)): TObject {
  const narrowed = codes.length !== codesFor(key).length
  const id = envelope.schemaId(key)
  const cached = narrowed ? undefined : fullSchemas.get(id)
  if (cached !== undefined) return cached
  const schema: TObject = {
    ...envelope.schema(codes),
    ...(narrowed ? {} : { $id: id }),
    title: id,
    description: `Error ${key}. Codes:\n${describeCodes(codes)}`,
    examples: codes.map((code) => exampleBody(envelope, code))
  }
  if (!narrowed) fullSchemas.set(id, schema)
  return schema
}

type OpenAIErrorSchemas = { [S in GatewayErrorStatus]: ReturnType<typeof openAISchema<CodesWithStatus<S>>> }

/** The OpenAI-envelope schema of every status, keyed by status (`$id` GatewayError404, …). */
export const GatewayErrorSchemas = Object.fromEntries(
  statuses.map((status) => [status, errorSchema(envelopes.openai, status)])
) as OpenAIErrorSchemas

/** After codes were added to the catalog (`extraCodes`): the schemas are built again, with them. */
export function refreshSchemas (): void {
  fullSchemas.clear()
  for (const status of statuses) (GatewayErrorSchemas as Record<number, TObject>)[status] = errorSchema(envelopes.openai, status)
}

export type GatewayErrorBody<S extends GatewayErrorStatus = GatewayErrorStatus> = Static<OpenAIErrorSchemas[S]>
