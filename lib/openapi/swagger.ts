// @fastify/swagger integration: readable component names (GatewayError404, not def-3), one named
// example per code in every error response.
import type { FastifySchema } from 'fastify'
import type { GatewayErrorCode } from '../catalog/catalog'
import { baseRegistry, type Registry } from '../catalog/registry'
import { schemaTitles, type Envelope } from '../reply/envelopes'
import { docsOfRoute } from './route-docs'
import { exampleBody } from '../reply/schemas'

type Json = Record<string, unknown>

function envelopeOfTitle (title: unknown): Envelope | undefined {
  return typeof title === 'string' ? schemaTitles.get(title)?.envelope : undefined
}

/** The codes a schema's `code` enum lists, found where the envelope keeps the code. */
function codesOf (schema: Json, envelope: Envelope, registry: Registry): GatewayErrorCode[] {
  let node: Json | undefined = schema
  for (const name of envelope.codePath) node = (node?.properties as Record<string, Json> | undefined)?.[name]
  return ((node?.enum ?? []) as unknown[]).filter(registry.has)
}

function resolve (schema: Json, components: Record<string, Json>): Json {
  const ref = schema.$ref
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) return components[ref.slice(21)] ?? schema
  return schema
}

/** The plugin attaches its full error schemas inline (no addSchema): here they become named components. */
function nameComponent (
  holder: Json,
  key: string | number,
  components: Record<string,
  Json>,
  registry: Registry
): void {
  const schema = holder[key] as Json | undefined
  const title = schema?.title
  const ours = typeof title === 'string' ? schemaTitles.get(title) : undefined
  if (schema === undefined || ours === undefined || schema.$ref !== undefined) return
  if (codesOf(
    schema,
    ours.envelope,
    registry
  ).length !== registry.codesFor(ours.key).length) return // narrowed: stays inline
  components[title as string] ??= schema
  holder[key] = { $ref: `#/components/schemas/${title as string}` }
}

type DocUrls = Readonly<Partial<Record<GatewayErrorCode, string>>>
/** What one registration documents: its catalog (its own codes included) and its pages' links. */
interface Documented { registry: Registry, docUrls: DocUrls }

const RETRY_HEADERS: Json = {
  'retry-after': {
    description: 'Seconds to wait before retrying; sent with retryable codes when a wait is known.',
    schema: { type: 'string', pattern: '^[0-9]+$' }
  },
  'retry-after-ms': { description: 'The same wait in milliseconds.', schema: { type: 'string', pattern: '^[0-9]+$' } }
}

/** The headers every catalog error carries (the reply path's writeHeaders), documented once per response. */
function errorHeaders (envelope: Envelope, retryable: boolean): Json {
  return {
    'x-should-retry': {
      description: 'Whether retrying the same request can succeed (`true` on retryable codes).',
      schema: { type: 'string', enum: ['true', 'false'] }
    },
    'x-request-id': { description: 'The request id, as in the body.', schema: { type: 'string' } },
    ...(envelope.requestIdHeader === 'x-request-id'
      ? {}
      : {
          [envelope.requestIdHeader]: {
            description: 'The request id, where this envelope\'s SDK reads it.',
            schema: { type: 'string' }
          }
        }),
    ...(retryable ? RETRY_HEADERS : {})
  }
}

function addExamples (document: Json, { registry, docUrls }: Documented): void {
  if (document.openapi === undefined) return // Swagger 2.0: left as @fastify/swagger made it
  const hadComponents = document.components !== undefined
  document.components ??= {}
  const components = ((document.components as Json).schemas ??= {}) as Record<string, Json>
  const openapi30 = String(document.openapi).startsWith('3.0')
  for (const item of Object.values((document.paths ?? {}) as Record<string, Json>)) {
    for (const operation of Object.values(item) as Json[]) {
      for (const response of Object.values((operation?.responses ?? {}) as Record<string, Json>)) {
        let headers: Json | undefined
        for (const media of Object.values((response.content ?? {}) as Record<string, Json>)) {
          const anyOf = (media.schema as Json | undefined)?.anyOf as Json[] | undefined
          const holders: Array<[Json, string | number]> = Array.isArray(anyOf)
            ? anyOf.map((_, i) => [
              anyOf as unknown as Json,
              i
            ])
            : [[media, 'schema']]
          const examples: Json = {}
          for (const [holder, key] of holders) {
            nameComponent(holder, key, components, registry)
            const schema = resolve((holder[key] ?? {}) as Json, components)
            const envelope = envelopeOfTitle(schema.title)
            if (envelope === undefined) continue
            const codes = codesOf(schema, envelope, registry)
            if (codes.length === 0) continue
            // The body a reply without details carries, doc_url as this app sends it, request id aside.
            const bodies = codes.map((code) => exampleBody(envelope, code, docUrls[code], registry))
            codes.forEach((code, i) => {
              examples[code] = {
                summary: registry.catalog[code].message,
                value: bodies[i]
              }
            })
            if (openapi30) {
              // OpenAPI 3.0 schemas take one `example`; @fastify/swagger converts components, not inline schemas
              schema.example = bodies[0]
              delete schema.examples
            } else {
              schema.examples = bodies
            }
            headers = { ...headers, ...errorHeaders(envelope, codes.some((code) => registry.catalog[code].retryable)) }
          }
          if (Object.keys(examples).length === 0) continue
          // `example` and `examples` are mutually exclusive; @fastify/swagger may have written the former.
          delete media.example
          media.examples = examples
        }
        if (headers !== undefined) response.headers = { ...headers, ...(response.headers as Json | undefined) }
      }
    }
  }
  dropEmptyComponents(document, hadComponents)
}

function dropEmptyComponents (document: Json, hadComponents: boolean): void {
  const components = document.components as Json | undefined
  if (!hadComponents && components !== undefined && Object.keys(components.schemas as Json).length === 0) {
    delete document.components
  }
}

/** Post-processes an OpenAPI document built by @fastify/swagger (use as its `transformObject`). */
export function transformOpenApi (
  document: Json,
  documented: Documented = { registry: baseRegistry, docUrls: {} }
): Json {
  addExamples(document, documented)
  return document
}

interface TransformInput { schema: FastifySchema | undefined, url: string, route: object, [key: string]: unknown }
interface TransformResult { schema: FastifySchema, url: string }

/**
 * Enough of the document that literal types in it (`type: 'http'`) survive inference, as
 * @fastify/swagger's types require.
 */
interface OpenApiLike {
  components?: {
    securitySchemes?: Record<string, {
      type?: 'http' | 'apiKey' | 'oauth2' | 'openIdConnect' | 'mutualTLS',
      in?: 'query' | 'header' | 'cookie',
      [key: string]: unknown
    }>
    [key: string]: unknown
  }
  [key: string]: unknown
}

interface SwaggerOptionsLike {
  openapi?: OpenApiLike
  refResolver?: { buildLocalReference: (json: Json, baseUri: unknown, fragment: unknown, i: number) => string }
  transform?: (input: TransformInput) => TransformResult
  transformObject?: (documentObject: { swaggerObject?: Json, openapiObject?: Json }) => Json
  [key: string]: unknown
}

/**
 * @fastify/swagger options that document every route's error responses, with the error components
 * named (GatewayError404, …) and an example per code:
 * `app.register(swagger, withGatewayErrors({ openapi: { … } }))`. Your own transform, refResolver
 * and transformObject, if any, still run (yours first).
 */
export function withGatewayErrors<T extends SwaggerOptionsLike> (
  options: T
): T & Required<Pick<SwaggerOptionsLike, 'refResolver' | 'transform' | 'transformObject'>> {
  const { refResolver, transform, transformObject } = options
  // The examples are those of the registration whose routes the document shows (its codes, its doc_url).
  let documented: Documented = { registry: baseRegistry, docUrls: {} }
  return {
    ...options,
    transform: (input: TransformInput): TransformResult => {
      const result: Partial<TransformResult> = transform?.(input) ?? {}
      const own = result.schema ?? input.schema
      const docs = docsOfRoute(input.route)
      if (docs !== undefined) documented = docs
      // @fastify/swagger falls back to the route's own schema when this one is undefined
      return { url: result.url ?? input.url, schema: (docs?.schemaOf(own) ?? own) as FastifySchema }
    },
    refResolver: {
      buildLocalReference: (json: Json, baseUri: unknown, fragment: unknown, i: number) =>
        typeof json.$id === 'string' && schemaTitles.has(json.$id)
          ? json.$id
          : refResolver?.buildLocalReference(
            json,
            baseUri,
            fragment,
            i
          ) ?? (typeof json.$id === 'string' ? json.$id : `def-${i}`)
    },
    transformObject: (documentObject: { swaggerObject?: Json, openapiObject?: Json }) => {
      const document = transformObject?.(documentObject) ?? documentObject.openapiObject ??
        documentObject.swaggerObject ?? {}
      return transformOpenApi(document, documented)
    }
  }
}
