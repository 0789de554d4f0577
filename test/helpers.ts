import type { TSchema } from '@sinclair/typebox'
import Ajv from 'ajv'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import gatewayErrors, { errorSchema, envelopes, catalog, type GatewayErrorsOptions, type GatewayErrorCode, type EnvelopeName, type GatewayErrorStatus } from './internals'

export const ajv = new Ajv({ strict: false, allErrors: true })

const validators = new Map<string, ReturnType<typeof ajv.compile>>()

/** Validates a reply body against the schema the plugin publishes for the code's status. */
export function validateBody (envelope: EnvelopeName, code: GatewayErrorCode, body: unknown): string | null {
  const status = catalog[code].status as GatewayErrorStatus
  const key = `${envelope}:${status}`
  let validate = validators.get(key)
  if (validate === undefined) {
    const { $id: _id, ...schema } = errorSchema(envelopes[envelope], status)
    validate = ajv.compile(schema)
    validators.set(key, validate)
  }
  return validate(body) ? null : ajv.errorsText(validate.errors)
}

export async function buildApp (
  options: GatewayErrorsOptions = {},
  routes: (app: FastifyInstance) => void | Promise<void> = () => {},
  serverOptions: FastifyServerOptions = {}
): Promise<FastifyInstance> {
  const app = Fastify(serverOptions)
  await app.register(gatewayErrors, options)
  await routes(app)
  await app.ready()
  return app
}

/** A value for every property of a schema, optional ones included: strings named after their key. */
export function sample (schema: TSchema, key = 'value'): unknown {
  const s = schema as { type?: string, properties?: Record<string, TSchema>, items?: TSchema, minimum?: number, const?: unknown, anyOf?: TSchema[] }
  if (s.const !== undefined) return s.const
  if (s.anyOf !== undefined) return sample(s.anyOf[0] as TSchema, key)
  switch (s.type) {
    case 'string': return `${key}-1`
    case 'integer':
    case 'number': return 42
    case 'boolean': return true
    case 'array': return [sample(s.items as TSchema, key)]
    case 'object': return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v, k)]))
    default: return null
  }
}

/** A pino destination that keeps every log line, parsed: `Fastify({ logger: sink.logger })`. */
export function logSink () {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()))
      callback()
    }
  })
  return { lines, logger: { level: 'info', stream } }
}
