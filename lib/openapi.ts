// @fastify/swagger integration: readable component names (GatewayError404, not def-3), one named
// example per code in every error response.
import type { FastifySchema } from 'fastify'
import { catalog, codesFor, isGatewayErrorCode, type GatewayErrorCode } from './catalog'
import { schemaTitles, type Envelope } from './envelopes'
import { documentedSchema } from './route-schemas'
import { exampleBody } from './schemas'

type Json = Record<string, unknown>

function envelopeOfTitle (title: unknown): Envelope | undefined {
  return typeof title === 'string' ? schemaTitles.get(title)?.envelope : undefined
}

/** The codes a schema's `code` enum lists, found where the envelope keeps the code. */
function codesOf (schema: Json, envelope: Envelope): GatewayErrorCode[] {
  let node: Json | undefined = schema
  for (const name of envelope.codePath) node = (node?.properties as Record<string, Json> | undefined)?.[name]
  return ((node?.enum ?? []) as unknown[]).filter(isGatewayErrorCode)
}

function resolve (schema: Json, components: Record<string, Json>): Json {
  const ref = schema.$ref
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) return components[ref.slice(21)] ?? schema
  return schema
}

/** The plugin attaches its full error schemas inline (no addSchema): here they become named components. */
function nameComponent (media: Json, components: Record<string, Json>): void {
  const schema = media.schema as Json | undefined
  const title = schema?.title
  const ours = typeof title === 'string' ? schemaTitles.get(title) : undefined
  if (schema === undefined || ours === undefined || schema.$ref !== undefined) return
  if (codesOf(schema, ours.envelope).length !== codesFor(ours.key).length) return // narrowed: stays inline
  components[title as string] ??= schema
  media.schema = { $ref: `#/components/schemas/${title as string}` }
}

function addExamples (document: Json): void {
  if (document.openapi === undefined) return // Swagger 2.0: left as @fastify/swagger made it
  const hadComponents = document.components !== undefined
  document.components ??= {}
  const components = ((document.components as Json).schemas ??= {}) as Record<string, Json>
  const openapi30 = String(document.openapi).startsWith('3.0')
  for (const item of Object.values((document.paths ?? {}) as Record<string, Json>)) {
    for (const operation of Object.values(item) as Json[]) {
      for (const response of Object.values((operation?.responses ?? {}) as Record<string, Json>)) {
        for (const media of Object.values((response.content ?? {}) as Record<string, Json>)) {
          nameComponent(media, components)
          const schema = resolve((media.schema ?? {}) as Json, components)
          const envelope = envelopeOfTitle(schema.title)
          if (envelope === undefined) continue
          if (openapi30 && Array.isArray(schema.examples)) {
            // OpenAPI 3.0 schemas take one `example`; @fastify/swagger converts components, not inline schemas
            schema.example = schema.examples[0]
            delete schema.examples
          }
          // `example` and `examples` are mutually exclusive; @fastify/swagger may have written the former.
          delete media.example
          media.examples = Object.fromEntries(codesOf(schema, envelope).map((code) => [code, {
            summary: catalog[code].message,
            value: exampleBody(envelope, code)
          }]))
        }
      }
    }
  }
  dropEmptyComponents(document, hadComponents)
}

function dropEmptyComponents (document: Json, hadComponents: boolean): void {
  const components = document.components as Json | undefined
  if (!hadComponents && components !== undefined && Object.keys(components.schemas as Json).length === 0) delete document.components
}

/** Post-processes an OpenAPI document built by @fastify/swagger (use as its `transformObject`). */
export function transformOpenApi (document: Json): Json {
  addExamples(document)
  return document
}

interface TransformInput { schema: FastifySchema | undefined, url: string, route: object, [key: string]: unknown }
interface TransformResult { schema: FastifySchema, url: string }

/** Enough of the document that literal types in it (`type: 'http'`) survive inference, as @fastify/swagger's types require. */
interface OpenApiLike {
  components?: {
    securitySchemes?: Record<string, { type?: 'http' | 'apiKey' | 'oauth2' | 'openIdConnect' | 'mutualTLS', in?: 'query' | 'header' | 'cookie', [key: string]: unknown }>
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
  return {
    ...options,
    transform: (input: TransformInput): TransformResult => {
      const result: Partial<TransformResult> = transform?.(input) ?? {}
      const own = result.schema ?? input.schema
      // @fastify/swagger falls back to the route's own schema when this one is undefined
      return { url: result.url ?? input.url, schema: (documentedSchema(input.route, own) ?? own) as FastifySchema }
    },
    refResolver: {
      buildLocalReference: (json: Json, baseUri: unknown, fragment: unknown, i: number) =>
        typeof json.$id === 'string' && schemaTitles.has(json.$id)
          ? json.$id
          : refResolver?.buildLocalReference(json, baseUri, fragment, i) ?? (typeof json.$id === 'string' ? json.$id : `def-${i}`)
    },
    transformObject: (documentObject: { swaggerObject?: Json, openapiObject?: Json }) => {
      const document = transformObject?.(documentObject) ?? documentObject.openapiObject ?? documentObject.swaggerObject ?? {}
      return transformOpenApi(document)
    }
  }
}
