// The plugin beside the Fastify plugins a gateway already runs, each registered before and after
// it, over real sockets. Every error reply is a catalog body valid against its schema, with the
// catalog status, and a retry hint only where the code is retryable.
import compress from '@fastify/compress'
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import sensible from '@fastify/sensible'
import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyInstance, type FastifyPluginCallback } from 'fastify'
import fp from 'fastify-plugin'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import t, { type Test as Tap } from 'tap'
import gatewayErrors, { catalog, GatewayError, isGatewayErrorCode, type GatewayErrorCode } from '../internals'
import { foreignErrorStatuses } from '../../lib/openapi/route-docs'
import { validateBody } from '../helpers'

interface LogLine { level: number, msg?: string, code?: string }

async function stack (plugin: FastifyPluginCallback<any>, pluginOptions: Record<string, unknown>, order: 'before' | 'after', routes?: (app: FastifyInstance) => void) {
  const lines: LogLine[] = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  if (order === 'before') await app.register(plugin, pluginOptions)
  await app.register(gatewayErrors)
  if (order === 'after') await app.register(plugin, pluginOptions)
  app.get('/v1/models', async () => ({ object: 'list', data: [] }))
  app.post('/v1/chat/completions', {
    schema: { body: { type: 'object', required: ['model'], properties: { model: { type: 'string' } } } }
  }, async (_request, reply) => reply.gatewayError('model_not_found', { model: 'nope' }))
  routes?.(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  return { app, url, lines }
}

/** Asserts a reply is a catalog error: status, schema, retry hint only where retryable. */
async function expectCatalog (t: Tap, res: Response, code: GatewayErrorCode, what: string): Promise<Record<string, any>> {
  const text = await res.text()
  let body: Record<string, any> = {}
  try { body = JSON.parse(text) } catch { t.fail(`${what}: not JSON: ${text.slice(0, 80)}`) }
  t.equal(res.status, catalog[code].status, `${what}: status ${catalog[code].status}`)
  t.equal(body.error?.code, code, `${what}: ${code}`)
  t.ok(isGatewayErrorCode(body.error?.code), `${what}: a catalog code`)
  t.equal(validateBody('openai', code, body), null, `${what}: valid against its schema`)
  t.equal(res.headers.get('x-should-retry'), String(catalog[code].retryable), `${what}: x-should-retry`)
  if (!catalog[code].retryable) t.equal(res.headers.get('retry-after'), null, `${what}: no retry hint on a code not worth retrying`)
  t.ok(res.headers.get('x-request-id'), `${what}: x-request-id`)
  return body
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

for (const order of ['before', 'after'] as const) {
  t.test(`@fastify/cors registered ${order}: unknown paths stay 404, wrong methods 405 without OPTIONS`, async (t) => {
    const { app, url } = await stack(cors, { origin: true }, order)
    t.teardown(() => app.close())
    const res = await fetch(`${url}/v1/nope`, { headers: { origin: 'https://app.example' } })
    await expectCatalog(t, res, 'resource_not_found', 'GET /v1/nope')
    t.equal(res.headers.get('access-control-allow-origin'), 'https://app.example', 'CORS headers on errors too')
    const wrong = await fetch(`${url}/v1/models`, { method: 'DELETE' })
    await expectCatalog(t, wrong, 'method_not_allowed', 'DELETE /v1/models')
    t.equal(wrong.headers.get('allow'), 'GET, HEAD')
    const preflight = await fetch(`${url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
    t.equal(preflight.status, 204, 'preflight still answered by cors')
    await expectCatalog(t, await post(`${url}/v1/chat/completions`, {}), 'missing_required_parameter', 'POST without model')
  })

  for (const ban of [undefined, 0]) {
    t.test(`@fastify/rate-limit${ban === undefined ? '' : ' with ban'} registered ${order}`, async (t) => {
      const { app, url, lines } = await stack(rateLimit, { max: 2, timeWindow: 30_000, ...(ban === undefined ? {} : { ban }) }, order)
      t.teardown(() => app.close())
      await fetch(`${url}/v1/models`)
      await fetch(`${url}/v1/models`)
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${url}/v1/models`)
        const body = await expectCatalog(t, res, 'rate_limit_exceeded', `request ${i + 3}`)
        const seconds = Number(res.headers.get('retry-after'))
        const ms = Number(res.headers.get('retry-after-ms'))
        t.ok(seconds > 0 && seconds <= 30, `retry-after ${seconds}`)
        t.equal(body.error.details.retry_after_ms, ms, 'one wait: details and retry-after-ms agree')
        t.equal(Math.ceil(ms / 1000), seconds, 'and retry-after agrees')
      }
      t.notOk(lines.some((l) => l.level >= 50), 'a limit is not logged as an error')
    })
  }

  t.test(`@fastify/under-pressure registered ${order}, with its status route`, async (t) => {
    let healthy = true
    const { app, url, lines } = await stack(underPressure, { healthCheck: async () => healthy, healthCheckInterval: 20, exposeStatusRoute: '/status', retryAfter: 7 }, order)
    t.teardown(() => app.close())
    t.same(await (await fetch(`${url}/status`)).json(), { status: 'ok' })
    healthy = false
    await new Promise((resolve) => setTimeout(resolve, 80))
    const shed = await fetch(`${url}/v1/models`)
    const body = await expectCatalog(t, shed, 'service_unavailable', 'load shedding on a route of the app')
    const wait = body.error.details.retry_after_ms
    t.ok(wait >= 7000 && wait <= 10_500, `the 7 s under-pressure set, with the plugin's jitter (${wait} ms)`)
    t.equal(shed.headers.get('retry-after-ms'), String(wait), 'the same wait in the headers')
    t.equal(shed.headers.get('retry-after'), String(Math.ceil(wait / 1000)))
    if (order === 'after') {
      // Routes added before the plugin keep Fastify's own error handler: register the plugin first.
      const status = await fetch(`${url}/status`)
      const statusBody = await expectCatalog(t, status, 'service_unavailable', 'the status route, unhealthy')
      t.equal(statusBody.error.message, catalog.service_unavailable.message, 'not mangled by the route\'s own 503 schema')
      t.ok(lines.some((l) => l.level === 30 && /its own schema for these error statuses/.test(String(l.msg))), 'the route was named once at start-up')
    }
    t.notOk(lines.some((l) => l.level >= 50 && l.code !== undefined), 'load shedding is not logged as an unexpected error by the plugin')
    t.ok(lines.some((l) => l.level === 30 && l.code === 'service_unavailable'), 'it is logged at info, with its code')
  })

  t.test(`@fastify/helmet and @fastify/sensible registered ${order}`, async (t) => {
    const { app, url } = await stack(fp(async (app: FastifyInstance) => {
      await app.register(helmet)
      await app.register(sensible)
    }), {}, order, (app) => {
      app.get('/sensible/not-found', async (_request, reply) => reply.notFound())
      app.get('/sensible/thrown', async () => { throw app.httpErrors.serviceUnavailable() })
      app.get('/sensible/assert', async () => { app.assert.equal(1, 2, 403, 'nope') })
    })
    t.teardown(() => app.close())
    const nope = await fetch(`${url}/v1/nope`)
    await expectCatalog(t, nope, 'resource_not_found', 'GET /v1/nope')
    t.ok(nope.headers.get('x-content-type-options'), 'helmet headers on errors')
    await expectCatalog(t, await fetch(`${url}/sensible/not-found`), 'resource_not_found', 'reply.notFound()')
    await expectCatalog(t, await fetch(`${url}/sensible/thrown`), 'service_unavailable', 'httpErrors.serviceUnavailable()')
    await expectCatalog(t, await fetch(`${url}/sensible/assert`), 'insufficient_permissions', 'assert → 403')
  })

  t.test(`@fastify/compress registered ${order}`, async (t) => {
    const { app, url } = await stack(compress, { threshold: 0 }, order)
    t.teardown(() => app.close())
    const res = await post(`${url}/v1/chat/completions`, { model: 'x' }, { 'accept-encoding': 'gzip' })
    t.equal(res.headers.get('content-encoding'), 'gzip', 'compressed (fetch decompresses it)')
    await expectCatalog(t, res, 'model_not_found', 'a compressed error')
  })
}

t.test('success replies carry the request id too; Anthropic routes also as request-id', async (t) => {
  const app = Fastify()
  await app.register(gatewayErrors)
  app.post('/v1/chat/completions', async () => ({ ok: true }))
  app.post('/v1/messages', { config: { gatewayErrors: { envelope: 'anthropic' } } }, async () => ({ type: 'message' }))
  await app.ready()
  t.teardown(() => app.close())
  const chat = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: {} })
  t.equal(chat.statusCode, 200)
  t.match(chat.headers['x-request-id'], /^req-/)
  const messages = await app.inject({ method: 'POST', url: '/v1/messages', payload: {} })
  t.match(messages.headers['request-id'], /^req-/)
  t.equal(messages.headers['request-id'], messages.headers['x-request-id'])
  const off = Fastify()
  await off.register(gatewayErrors, { requestIdHeader: false })
  off.get('/', async () => 'ok')
  t.equal((await off.inject('/')).headers['x-request-id'], undefined, 'requestIdHeader: false leaves success replies alone')
  await off.close()
})

t.test('replies sent before the handler runs carry the request id too: a CORS preflight, a hook answering itself', async (t) => {
  for (const order of ['before', 'after'] as const) {
    const app = Fastify()
    // routes added before the plugin: it does not wrap them, its error replies still carry the id
    app.register(async (scope) => { scope.post('/v1/early', async (_request, reply) => reply.gatewayError('model_not_found')) })
    if (order === 'before') await app.register(cors, { origin: true })
    await app.register(gatewayErrors)
    if (order === 'after') await app.register(cors, { origin: true })
    app.register(async (scope) => {
      scope.addHook('preHandler', async (_request, reply) => reply.code(200).send({ cached: true }))
      scope.post('/v1/cached', async () => ({ cached: false }))
    })
    app.register(async (scope) => {
      scope.addHook('onRequest', async () => { throw new GatewayError('invalid_api_key') })
      scope.post('/v1/guarded', async () => ({ ok: true }))
    })
    app.post('/v1/chat/completions', async () => ({ ok: true }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => app.close())
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const preflight = await fetch(`${url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
    t.equal(preflight.status, 204, `cors ${order}: preflight`)
    t.match(preflight.headers.get('x-request-id'), /^req-/, `cors ${order}: the preflight carries x-request-id`)
    const cached = await post(`${url}/v1/cached`, {})
    t.same(await cached.json(), { cached: true })
    t.match(cached.headers.get('x-request-id'), /^req-/, `cors ${order}: a reply from a preHandler hook carries x-request-id`)
    const chat = await post(`${url}/v1/chat/completions`, {})
    t.equal(String(chat.headers.get('x-request-id')).split(',').length, 1, 'set once')
    const ids = [preflight, cached, chat].map((res) => res.headers.get('x-request-id'))
    t.equal(new Set(ids).size, 3, `cors ${order}: each request its own id`)
    for (const [path, code] of [['/v1/guarded', 'invalid_api_key'], ['/v1/early', 'model_not_found']] as const) {
      const res = await post(url + path, {})
      const body = await res.json() as { error: { code: string, request_id: string } }
      t.equal(body.error.code, code, `cors ${order}: ${path}`)
      t.equal(res.headers.get('x-request-id'), body.error.request_id, `cors ${order}: ${path}: the header is the body's id, once`)
    }
  }
  const off = Fastify()
  await off.register(gatewayErrors, { requestIdHeader: false })
  off.post('/v1/nope', async (_request, reply) => reply.gatewayError('model_not_found'))
  const error = await off.inject({ method: 'POST', url: '/v1/nope', payload: {} })
  t.equal(error.headers['x-request-id'], error.json().error.request_id, 'requestIdHeader: false: error replies still carry the id')
  await off.close()
})

t.test('incomplete details leave the catalog message as it is', async (t) => {
  const app = Fastify()
  await app.register(gatewayErrors, { checkDetails: false, retryJitter: false })
  app.get('/a', async (_request, reply) => reply.gatewayError('context_length_exceeded', { requested_tokens: 5000 } as never))
  app.get('/b', async (_request, reply) => reply.gatewayError('service_unavailable', { retry_after_ms: 60_000 }))
  await app.ready()
  t.teardown(() => app.close())
  const a = (await app.inject('/a')).json()
  t.equal(a.error.message, `${catalog.context_length_exceeded.message}: ${catalog.context_length_exceeded.clientWords}`)
  t.notMatch(a.error.message, 'undefined')
  const b = await app.inject('/b')
  t.equal(b.headers['retry-after-ms'], '59000')
  t.equal(b.headers['retry-after'], '59')
  t.equal(b.json().error.details.retry_after_ms, 59_000, 'the wait in the details is the one in the headers')
})

t.test('a retry hint set by a hook does not go out with a code not worth retrying', async (t) => {
  const app = Fastify()
  await app.register(gatewayErrors)
  app.get('/a', { onRequest: async (_request, reply) => { reply.header('retry-after', '5').header('retry-after-ms', '5000') } },
    async (_request, reply) => reply.gatewayError('invalid_request'))
  app.post('/v1/messages', {
    config: { gatewayErrors: { envelope: 'anthropic' } },
    onRequest: async (request) => { request.log.debug('a route hook of its own') }
  }, async () => ({ type: 'message' }))
  await app.ready()
  t.teardown(() => app.close())
  const res = await app.inject('/a')
  t.equal(res.statusCode, 400)
  t.equal(res.headers['retry-after'], undefined)
  t.equal(res.headers['retry-after-ms'], undefined)
  const messages = await app.inject({ method: 'POST', url: '/v1/messages', payload: {} })
  t.match(messages.headers['request-id'], /^req-/, 'beside the route\'s own onRequest hook')
})

t.test('foreignErrorStatuses: our schemas by title or $ref, anything else is the route\'s own', async (t) => {
  t.same([...foreignErrorStatuses(undefined)], [])
  t.same([...foreignErrorStatuses({ response: { 200: { type: 'object' } } })], [])
  t.same([...foreignErrorStatuses({ response: { 404: { $ref: 'GatewayError404#' }, 503: { type: 'object' } } })], [503])
  t.same([...foreignErrorStatuses({ response: { '5xx': { title: 'Mine' } } })], [500, 502, 503, 504])
  t.same([...foreignErrorStatuses({ response: { default: null } })].length, 12, 'a default that is not ours covers every status')
  t.same([...foreignErrorStatuses({ response: { 404: { content: { 'application/json': { schema: { $ref: 'GatewayError404#' } } } } } })], [])
})

t.test('an event stream whose client leaves is closed as usual', async (t) => {
  const app = Fastify({ forceCloseConnections: true })
  await app.register(gatewayErrors)
  let closed = false
  const isClosed = () => closed
  app.get('/sse', async (_request, reply) => {
    const source = new PassThrough()
    source.write('data: {"n":1}\n\n')
    source.on('close', () => { closed = true })
    return reply.header('content-type', 'text/event-stream').send(source)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const controller = new AbortController()
  const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/sse`, { signal: controller.signal })
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  await reader.read()
  controller.abort()
  for (let i = 0; i < 50 && !isClosed(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.ok(closed, 'the source was destroyed with the response')
})
