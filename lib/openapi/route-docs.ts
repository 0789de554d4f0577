// The error responses documented for each route. They are added to the schema @fastify/swagger
// documents (through withGatewayErrors), not to the route: a route with a response schema per error
// status makes Fastify keep a response map per route and compile or look up a serializer per route
// and status (what that costs at start-up: bench/README.md).
import type { FastifySchema } from 'fastify'
import { statuses as catalogStatuses, type GatewayErrorCode, type ResponseKey } from '../catalog/catalog'
import type { Registry } from '../catalog/registry'
import { schemaTitles, type Envelope } from '../reply/envelopes'
import { errorSchema } from '../reply/schemas'

/**
 * The error statuses for which a route declares a response schema of its own that is not one of
 * ours (@fastify/under-pressure's `503: { error: string }`). Our schemas, by `$ref` or as objects,
 * are recognised by their title.
 */
export function foreignErrorStatuses (
  schema: FastifySchema | undefined,
  statuses: readonly number[] = catalogStatuses
): ReadonlySet<number> {
  const response = schema?.response as Record<string, unknown> | undefined
  const found = new Set<number>()
  if (response === undefined || response === null || typeof response !== 'object') return found
  for (const [key, value] of Object.entries(response)) {
    if (isOurs(value)) continue
    for (const status of statuses) {
      if (key === 'default' || String(status) === key || `${String(status)[0]}xx` === key) found.add(status)
    }
  }
  return found
}

function isOurs (schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object') return false
  const { $ref, title, content } = schema as { $ref?: unknown, title?: unknown, content?: unknown }
  if (typeof $ref === 'string') return schemaTitles.has($ref.split('#', 1)[0] as string)
  if (typeof title === 'string') return schemaTitles.has(title)
  if (content !== null && typeof content === 'object') {
    return Object.values(content).every((media) => isOurs((media as { schema?: unknown } | null)?.schema))
  }
  return false
}

export interface RouteDocsOptions {
  /** The app's catalog, its own codes included. */
  registry: Registry
  envelopes: readonly Envelope[]
  /** Extra content types served by negotiation, e.g. problem+json. */
  alternates: readonly Envelope[]
  /** One schema per status (documents every status), or per range, 4xx and 5xx. */
  granularity: 'status' | 'range'
  /** The `doc_url` this registration's replies carry, per code, for the examples. */
  docUrls: Readonly<Partial<Record<GatewayErrorCode, string>>>
}

/** What one registration of the plugin documents for a route: its envelope and declared codes. */
export interface RouteDocs {
  /** The route's schema with the error responses added (beside its own, where it declares some). */
  schemaOf (schema: FastifySchema | undefined): FastifySchema
  readonly registry: Registry
  /** The `doc_url` of a code in this registration's replies. */
  readonly docUrls: Readonly<Partial<Record<GatewayErrorCode, string>>>
}

function mediaType (contentType: string): string {
  return contentType.split(';')[0] as string
}

const ERROR_KEY = /^(?:[45]\d\d|[45]xx|default)$/i

/** The route's own schema for `key` (exactly, by its range, or as default), when it is not one of ours. */
function foreignFor (response: Record<string, unknown>, key: ResponseKey): unknown {
  for (const name of [String(key), `${String(key)[0]}xx`, 'default']) {
    if (Object.hasOwn(response, name)) return isOurs(response[name]) ? null : response[name]
  }
  return undefined
}

function asContent (response: object, mediaType: string): Record<string, { schema: unknown }> {
  const { content } = response as { content?: Record<string, { schema: unknown }> }
  if (content !== null && typeof content === 'object') return content
  const { description: _description, ...schema } = response as { description?: unknown }
  return { [mediaType]: { schema } }
}

/**
 * A status on which both can be sent: the route's own body (what the handler sends with
 * `reply.code(…).send(…)`) and a catalog error, which is always in the catalog's shape.
 */
function eitherOf (own: object, catalogs: readonly object[], mediaType: string): object {
  const content: Record<string, { schema: unknown }> = {}
  for (const response of [own, ...catalogs]) {
    for (const [type, media] of Object.entries(asContent(response, mediaType))) {
      const earlier = content[type]?.schema as { anyOf?: unknown[] } | undefined
      content[type] = earlier === undefined
        ? media
        : {
            schema: {
              anyOf: [
                ...(earlier.anyOf ?? [earlier]),
                media.schema
              ]
            }
          }
    }
  }
  const ownDescription = (own as { description?: unknown }).description
  const ownWords = typeof ownDescription === 'string' ? ownDescription : 'The route\'s own reply'
  const description = `${ownWords}, or a catalog error. ` +
    catalogs.map((ours) => (ours as { description: string }).description).join('\n')
  return { description, content }
}

// Filled by the plugin's onRoute hook, read by withGatewayErrors' transform when the document is
// built: the routes themselves carry no error schemas (Fastify would keep a response map per route).
const routeDocs = new WeakMap<object, RouteDocs>()

export function documentRoute (route: object, docs: RouteDocs): void {
  routeDocs.set(route, docs)
}

/** What the plugin documents for a route @fastify/swagger collected; undefined for a route the plugin did not see. */
export function docsOfRoute (route: object): RouteDocs | undefined {
  return routeDocs.get(route)
}

/** The schema to document for a route; undefined for a route the plugin did not see. */
export function documentedSchema (route: object, schema: FastifySchema | undefined): FastifySchema | undefined {
  return routeDocs.get(route)?.schemaOf(schema)
}

export function createRouteDocs (options: RouteDocsOptions): (
  envelope: Envelope,
  codes: readonly GatewayErrorCode[] | undefined
) => RouteDocs {
  const schemas = new Map<string, object>()
  const { registry } = options
  const keys: readonly ResponseKey[] = options.granularity === 'range' ? ['4xx', '5xx'] : registry.statuses

  function schemaFor (envelope: Envelope, key: ResponseKey, codes: readonly GatewayErrorCode[] | undefined): object {
    const forKey = codes?.filter((code) => registry.inKey(code, key))
    const narrow = forKey !== undefined && forKey.length !== registry.codesFor(key).length
    const id = narrow ? `${envelope.name}:${key}:${forKey.join(',')}` : `${envelope.name}:${key}`
    let schema = schemas.get(id)
    if (schema === undefined) {
      // Inline, without `$id`: withGatewayErrors names the full ones as components.
      const { $id: _id, ...inline } = errorSchema(envelope, key, narrow ? forKey : undefined, registry)
      schema = inline
      schemas.set(id, schema)
    }
    return schema
  }

  function errorResponse (
    envelope: Envelope,
    key: ResponseKey,
    codes: readonly GatewayErrorCode[] | undefined
  ): object {
    const primary = schemaFor(envelope, key, codes)
    if (options.alternates.length === 0) return primary
    return {
      description: (primary as { description: string }).description,
      content: Object.fromEntries([
        [mediaType(envelope.contentType), { schema: primary }],
        ...options.alternates.filter((alt) => alt !== envelope).map((alt) => [
          mediaType(alt.contentType),
          { schema: schemaFor(alt, key, codes) }
        ])
      ])
    }
  }

  /** The catalog's responses for a key a route declares itself: a status, a range or `default`. */
  function catalogResponses (
    envelope: Envelope,
    key: string,
    codes: readonly GatewayErrorCode[] | undefined
  ): object[] {
    const declared = (candidate: ResponseKey): boolean => codes === undefined || codes.some((code) => registry.inKey(
      code,
      candidate
    ))
    const responseKeys = (key === 'default' ? ['4xx', '5xx'] : [/^\d+$/.test(key) ? Number(key) : key]) as ResponseKey[]
    return responseKeys
      .filter((candidate) => typeof candidate !== 'number' || registry.statuses.includes(candidate))
      .filter(declared)
      .map((candidate) => errorResponse(envelope, candidate, codes))
  }

  const perRoute = new Map<string, RouteDocs>()
  return function docsFor (envelope, codes) {
    const id = `${envelope.name}:${codes?.join(',') ?? '*'}`
    let docs = perRoute.get(id)
    if (docs === undefined) {
      const routeKeys = codes === undefined
        ? keys
        : keys.filter((key) => codes.some((code) => registry.inKey(
          code,
          key
        )))
      docs = {
        registry,
        docUrls: options.docUrls,
        schemaOf (schema) {
          const own = (schema?.response ?? {}) as Record<string, unknown>
          const response: Record<string, unknown> = { ...own }
          const media = mediaType(envelope.contentType)
          for (const key of Object.keys(own)) {
            // A route's own error schema documents its own replies; catalog errors on that status
            // stay in the catalog's shape.
            if (!ERROR_KEY.test(key) || isOurs(own[key]) || own[key] === null || typeof own[key] !== 'object') continue
            const catalogs = catalogResponses(envelope, key.toLowerCase(), codes)
            if (catalogs.length > 0) response[key] = eitherOf(own[key] as object, catalogs, media)
          }
          for (const key of routeKeys) {
            if (foreignFor(own, key) === undefined) response[key] = errorResponse(envelope, key, codes)
          }
          return { ...schema, response }
        }
      }
      perRoute.set(id, docs)
    }
    return docs
  }
}
