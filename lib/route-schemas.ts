// Attaches the error schemas to every route, and shares one compiled serializer per schema across
// all routes: Fastify would otherwise compile a serializer per route per status at start-up.
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify'
import { codesFor, inResponseKey, statuses, type GatewayErrorCode, type ResponseKey } from './catalog'
import { schemaTitles, type Envelope } from './envelopes'
import { errorSchema } from './schemas'
import type { Serializer, Serializers } from './serializers'
type SerializerCompiler = (definition: { schema: unknown, method: string, url: string, httpStatus: string, contentType?: string }) => Serializer

export interface RouteErrorSchemas {
  /** Adds the error responses a route does not declare itself, and the shared serializers. */
  attach (route: RouteOptions, instance: FastifyInstance, envelope: Envelope, codes: readonly GatewayErrorCode[] | undefined): void
}

const NONE: ReadonlySet<number> = new Set()
const foreignCache = new WeakMap<object, ReadonlySet<number>>()

/**
 * The error statuses for which a route declares a response schema of its own that is not one of
 * ours (@fastify/under-pressure's `503: { error: string }`): serialized by it, our body would be
 * mangled. Our schemas, by `$ref` or as objects, are recognised by their title. Worked out once
 * per route, whether the route was added before the plugin or after.
 */
export function foreignErrorStatuses (schema: FastifySchema | undefined): ReadonlySet<number> {
  const response = schema?.response as Record<string, unknown> | undefined
  if (response === undefined || response === null || typeof response !== 'object') return NONE
  let foreign = foreignCache.get(response)
  if (foreign === undefined) {
    const statusesFound = new Set<number>()
    for (const [key, value] of Object.entries(response)) {
      if (isOurs(value)) continue
      for (const status of statuses) {
        if (key === 'default' || String(status) === key || `${String(status)[0]}xx` === key) statusesFound.add(status)
      }
    }
    foreign = statusesFound.size === 0 ? NONE : statusesFound
    foreignCache.set(response, foreign)
  }
  return foreign
}

function isOurs (schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object') return false
  const { $ref, title, content } = schema as { $ref?: unknown, title?: unknown, content?: unknown }
  if (typeof $ref === 'string') return schemaTitles.has($ref.replace(/#.*$/, ''))
  if (typeof title === 'string') return schemaTitles.has(title)
  if (content !== null && typeof content === 'object') {
    return Object.values(content).every((media) => isOurs((media as { schema?: unknown } | null)?.schema))
  }
  return false
}

export interface RouteSchemaOptions {
  envelopes: readonly Envelope[]
  /** Extra content types served by negotiation, e.g. problem+json: (envelope, schema) pairs. */
  alternates: readonly Envelope[]
  serializerOpts?: Record<string, unknown>
  serializers: Serializers
  /** One schema per status (documents every status), or per range, 4xx and 5xx (less start-up memory). */
  granularity: 'status' | 'range'
}

function mediaType (contentType: string): string {
  return contentType.split(';')[0] as string
}

function declares (response: Record<string, unknown>, key: ResponseKey): boolean {
  return Object.hasOwn(response, String(key)) || Object.hasOwn(response, `${String(key)[0]}xx`) || Object.hasOwn(response, 'default')
}

// Status codes are array indices to V8: an object keyed 200…504 gets a fast elements store of ~770
// slots (6 KB) per route. Forcing dictionary elements keeps it to the dozen entries it holds.
function sparseObject (source: Record<string, unknown> | undefined): Record<string, unknown> {
  const target: Record<string, unknown> = {}
  target[1_000_000] = undefined
  delete target[1_000_000]
  return Object.assign(target, source)
}

export function createRouteErrorSchemas (options: RouteSchemaOptions): RouteErrorSchemas {
  const refs = new Map<string, object>()
  const narrowed = new Map<string, object>()
  const ownSchemas = new WeakMap<object, object>()
  const defaultCompilers = new WeakMap<FastifyInstance, SerializerCompiler>()
  const buildDefault = SerializerSelector()

  const keys: ResponseKey[] = options.granularity === 'range' ? ['4xx', '5xx'] : statuses
  for (const envelope of new Set([...options.envelopes, ...options.alternates])) {
    for (const key of keys) {
      // Inline, one object shared by every route, and nothing added with addSchema: once anything
      // is, Fastify rebuilds its validator pool key from every shared schema for each route with a
      // validation schema. `withGatewayErrors` names them as components in the OpenAPI document.
      const { $id: _id, ...schema } = errorSchema(envelope, key)
      refs.set(`${envelope.name}:${key}`, schema)
      ownSchemas.set(schema, schema)
    }
  }

  function schemaFor (envelope: Envelope, key: ResponseKey, codes: readonly GatewayErrorCode[] | undefined): object {
    if (codes === undefined) return refs.get(`${envelope.name}:${key}`) as object
    const forKey = codes.filter((code) => inResponseKey(code, key))
    if (forKey.length === codesFor(key).length) return refs.get(`${envelope.name}:${key}`) as object
    const id = `${envelope.name}:${key}:${forKey.join(',')}`
    let schema = narrowed.get(id)
    if (schema === undefined) {
      schema = errorSchema(envelope, key, forKey)
      narrowed.set(id, schema)
      ownSchemas.set(schema, schema)
    }
    return schema
  }

  function serializerOf (schema: object): Serializer | undefined {
    const own = ownSchemas.get(schema)
    return own === undefined ? undefined : options.serializers.compile(own)
  }

  // The route's own schemas compile as Fastify would.
  function fallbackCompiler (instance: FastifyInstance): SerializerCompiler {
    const configured = instance.serializerCompiler as SerializerCompiler | undefined
    if (configured !== undefined) return configured
    let compiler = defaultCompilers.get(instance)
    if (compiler === undefined) {
      compiler = buildDefault(instance.getSchemas() as Record<string, unknown>, options.serializerOpts) as SerializerCompiler
      defaultCompilers.set(instance, compiler)
    }
    return compiler
  }

  const sharedCompilers = new WeakMap<FastifyInstance, SerializerCompiler>()
  function routeCompiler (instance: FastifyInstance, original: SerializerCompiler | undefined): SerializerCompiler {
    if (original !== undefined) return (definition) => serializerOf(definition.schema as object) ?? original(definition)
    let compiler = sharedCompilers.get(instance)
    if (compiler === undefined) {
      compiler = (definition) => serializerOf(definition.schema as object) ?? fallbackCompiler(instance)(definition)
      sharedCompilers.set(instance, compiler)
    }
    return compiler
  }

  return {
    attach (route, instance, envelope, codes) {
      const schema: FastifySchema = route.schema ?? {}
      const response = sparseObject(schema.response as Record<string, unknown> | undefined)
      const routeKeys = codes === undefined ? keys : keys.filter((key) => codes.some((code) => inResponseKey(code, key)))
      for (const key of routeKeys) {
        if (declares(response, key)) continue
        const primary = schemaFor(envelope, key, codes)
        response[key] = options.alternates.length === 0
          ? primary
          : {
              description: (ownSchemas.get(primary) as { description: string }).description,
              content: Object.fromEntries([
                [mediaType(envelope.contentType), { schema: primary }],
                ...options.alternates.filter((alt) => alt !== envelope).map((alt) => [mediaType(alt.contentType), { schema: schemaFor(alt, key, codes) }])
              ])
            }
      }
      route.schema = { ...schema, response }
      route.serializerCompiler = routeCompiler(instance, route.serializerCompiler as SerializerCompiler | undefined) as RouteOptions['serializerCompiler']
    }
  }
}
