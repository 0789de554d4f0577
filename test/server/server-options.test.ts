// Errors met before a route runs: malformed URLs, client errors on the socket, unknown methods.
import t from 'tap'
import { gatewayFrameworkErrors, type GatewayErrorEvent } from '../internals'
import { buildApp } from '../helpers'

t.test('malformed URLs, with frameworkErrors: translated, not echoed, elapsed time known', async (t) => {
  const events: GatewayErrorEvent[] = []
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/a/:id', async () => 'ok')
  }, { frameworkErrors: gatewayFrameworkErrors })
  t.teardown(() => app.close())
  const res = await app.inject('/a/%zz')
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'invalid_request')
  t.equal(events.length, 1)
  t.ok(events[0]?.elapsedMs !== undefined && events[0].elapsedMs >= 0)
  t.notMatch(res.body, '%zz', 'the URL is not echoed')

  const Fastify = (await import('fastify')).default
  const bare = Fastify({ frameworkErrors: gatewayFrameworkErrors })
  bare.get('/a/:id', async () => 'ok')
  t.teardown(() => bare.close())
  const fallback = await bare.inject('/a/%zz')
  t.equal(fallback.statusCode, 400, 'without the plugin registered: still a catalog body')
  t.equal(fallback.json().error.code, 'invalid_request')
})

t.test('gatewayClientErrorHandler writes a catalog 400 and closes; resets are left alone', async (t) => {
  const { gatewayClientErrorHandler } = await import('../../lib/index')
  const written: string[] = []
  let destroyed = 0
  const socket = { destroyed: false, writable: true, write: (data: string) => { written.push(data) }, destroy: () => { destroyed++ } }
  gatewayClientErrorHandler(Object.assign(new Error('bad'), { code: 'HPE_INVALID_HEADER_TOKEN' }), socket as never)
  t.match(written[0], /^HTTP\/1.1 400 Bad Request\r\n/)
  t.match(written[0], /"code":"invalid_request"/)
  t.equal(destroyed, 1)
  gatewayClientErrorHandler(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), socket as never)
  t.equal(written.length, 1, 'nothing written to a reset connection')
  t.equal(destroyed, 2)
})

t.test('routes with constraints and method arrays are known to the 405 check', async (t) => {
  const app = await buildApp({}, (app) => {
    app.route({ method: ['PUT', 'PATCH'], url: '/multi', handler: async () => 'ok' })
    app.get('/versioned', { constraints: { version: '1.0.0' } }, async () => 'v1')
    app.get('/versioned', { constraints: { version: '2.0.0' } }, async () => 'v2')
  })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'DELETE', url: '/multi' })
  t.equal(res.statusCode, 405)
  t.equal(res.headers.allow, 'PATCH, PUT')
  t.equal((await app.inject({ method: 'POST', url: '/versioned' })).headers.allow, 'GET, HEAD')
})
