// What the plugin records: onGatewayError once per error, client_disconnected never written.
import t from 'tap'
import { type GatewayErrorEvent } from '../internals'
import { buildApp, logSink } from '../helpers'

t.test('the onGatewayError hook sees every error once', async (t) => {
  const events: GatewayErrorEvent[] = []
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/a', async (_request, reply) => reply.gatewayError('upstream_timeout', { provider: 'p', timeout_ms: 10 }))
    app.get('/b', async () => { throw new Error('x') })
  })
  t.teardown(() => app.close())
  await app.inject('/a')
  await app.inject('/b')
  await app.inject('/c')
  t.same(events.map((e) => [e.code, e.status, e.retryable, e.route, e.method, e.disconnected]), [
    ['upstream_timeout', 504, true, '/a', 'GET', false],
    ['internal_error', 500, false, '/b', 'GET', false],
    ['resource_not_found', 404, false, undefined, 'GET', false]
  ])
  t.ok(events.every((e) => typeof e.elapsedMs === 'number' && e.requestId.startsWith('req-')))
  t.type(events[1]?.error, Error, 'the original error reaches the hook')
})

t.test('elapsedMs counts from the request\'s arrival: hooks and body parsing included', async (t) => {
  const events: GatewayErrorEvent[] = []
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.post('/slow-hook', { preHandler: async () => { await new Promise((resolve) => setTimeout(resolve, 60)) } }, async () => {
      throw new Error('after a slow hook')
    })
  })
  t.teardown(() => app.close())
  await app.inject({ method: 'POST', url: '/slow-hook', payload: { a: 1 } })
  t.ok((events[0]?.elapsedMs ?? 0) >= 55, `the 60 ms preHandler is counted (${events[0]?.elapsedMs} ms)`)
})

t.test('a hook that throws does not break the reply', async (t) => {
  const sink = logSink()
  const app = await buildApp({ onGatewayError: () => { throw new Error('metrics down') } }, (app) => {
    app.get('/a', async (_request, reply) => reply.gatewayError('model_not_found'))
  }, { logger: sink.logger })
  t.teardown(() => app.close())
  t.equal((await app.inject('/a')).statusCode, 404)
  t.ok(sink.lines.some((l) => String(l.msg).includes('onGatewayError hook threw')))
})

t.test('client_disconnected is recorded, never written', async (t) => {
  const events: GatewayErrorEvent[] = []
  const sink = logSink()
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/gone', async (_request, reply) => reply.gatewayError('client_disconnected' as never)) // a JavaScript caller
  }, { logger: sink.logger })
  t.teardown(() => app.close())
  await t.rejects(app.inject('/gone'), 'the connection is closed without a reply')
  t.same(events.map((e) => [e.code, e.status, e.disconnected]), [['client_disconnected', 0, true]])
  t.ok(sink.lines.some((l) => l.code === 'client_disconnected' && typeof l.elapsedMs === 'number'))

  const noHook = await buildApp({}, (app) => {
    app.get('/gone', async (_request, reply) => reply.gatewayError('client_disconnected' as never)) // a JavaScript caller
  })
  t.teardown(() => noHook.close())
  await t.rejects(noHook.inject('/gone'), 'no hook: still closed, still logged')
})
