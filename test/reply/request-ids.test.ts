// Request ids a fleet can trace: gatewayGenReqId makes req_ + 32 hex, unique across instances; a
// proxy's id is taken only when trusted and safe; the plugin says once when it sees Fastify's
// sequential ids. The example uses them, and takes no id from the client.
import t from 'tap'
import Fastify, { type FastifyServerOptions } from 'fastify'
import type { IncomingMessage } from 'node:http'
import gatewayErrors, { GatewayError } from '../internals'
import { gatewayGenReqId } from '../../lib/index'
import { startGateway } from '../example/gateway-harness'
import { build } from '../../examples/gateway/app'
import { startUpstreams } from '../../examples/gateway/upstreams'

t.test('gatewayGenReqId: req_ + 32 hex, never the same twice', async (t) => {
  const ids = new Set<string>()
  for (let i = 0; i < 20_000; i++) ids.add(gatewayGenReqId())
  t.equal(ids.size, 20_000, 'all distinct (across the 4 KiB refills of random bytes)')
  for (const id of [...ids].slice(0, 300)) if (!/^req_[0-9a-f]{32}$/.test(id)) t.fail(id)
  t.match([...ids][0], /^req_[0-9a-f]{32}$/)
})

t.test('gatewayGenReqId.fromHeader: a trusted proxy\'s safe id, else a new one', async (t) => {
  const fromProxy = (request: IncomingMessage) => request.socket?.remoteAddress === '10.0.0.1'
  const generate = gatewayGenReqId.fromHeader({ header: 'X-Request-Id', trust: fromProxy })
  const request = (id: unknown, remoteAddress = '10.0.0.1') => ({ headers: { 'x-request-id': id }, socket: { remoteAddress } }) as unknown as IncomingMessage
  t.equal(generate(request('trace-abc-123')), 'trace-abc-123', 'the proxy\'s id')
  t.match(generate(request('trace-abc-123', '203.0.113.9')), /^req_[0-9a-f]{32}$/, 'not from a client that is not the proxy')
  t.match(generate(request('x'.repeat(8000))), /^req_[0-9a-f]{32}$/, 'not an 8,000-character id')
  t.match(generate(request('has space')), /^req_[0-9a-f]{32}$/, 'not one with spaces or control characters')
  t.match(generate(request(['a', 'b'])), /^req_[0-9a-f]{32}$/, 'not a repeated header')
  t.equal(gatewayGenReqId.fromHeader({ header: 'x-request-id' })(request('any-proxy-id', '203.0.113.9')), 'any-proxy-id', 'without trust, every caller is trusted')
  t.throws(() => gatewayGenReqId.fromHeader({ header: '' }), /header must be a header name/)
  t.throws(() => gatewayGenReqId.fromHeader({ header: 'x-request-id', trust: true as never }), /trust must be a function/)
})

async function logsOf (options: FastifyServerOptions): Promise<string[]> {
  const lines: string[] = []
  const app = Fastify({ ...options, logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } })
  await app.register(gatewayErrors)
  app.get('/fail', async () => { throw new GatewayError('invalid_request') })
  await app.ready()
  for (let i = 0; i < 3; i++) await app.inject({ url: '/fail' })
  await app.close()
  return lines.filter((line) => line.includes('sequential req-1'))
}

t.test('the plugin says once, at info, when it sees Fastify\'s sequential ids', async (t) => {
  const atStartUp = await logsOf({})
  t.equal(atStartUp.length, 1, 'Fastify\'s default generator: said once')
  t.equal(JSON.parse(atStartUp[0] as string).level, 30, 'at info')
  t.equal((await logsOf({ requestIdHeader: 'x-request-id' })).length, 1, 'behind a header Fastify reads itself: said at the first request')
  t.equal((await logsOf({ genReqId: gatewayGenReqId })).length, 0, 'gatewayGenReqId: nothing to say')
  t.equal((await logsOf({ genReqId: () => 'mine' })).length, 0, 'an id of the app\'s own: nothing to say')
})

t.test('the example: ids unique across two instances, none taken from the client, none logged whole', async (t) => {
  const a = await startGateway()
  const b = await startGateway()
  t.teardown(async () => { await a.close(); await b.close() })
  const ids = new Set<string>()
  for (let i = 0; i < 20; i++) {
    for (const url of [a.url, b.url]) {
      const response = await fetch(`${url}/v1/models/demo-nope`, { headers: { authorization: 'Bearer sk-demo-full', 'x-request-id': 'req-1' } })
      const { error } = await response.json() as { error: { request_id: string } }
      t.equal(error.request_id, response.headers.get('x-request-id'))
      ids.add(error.request_id)
    }
  }
  t.equal(ids.size, 40, '40 requests over two instances, 40 ids')
  t.notOk(ids.has('req-1'), 'the client\'s x-request-id is not the id')
  for (const id of ids) if (!/^req_[0-9a-f]{32}$/.test(id)) t.fail(id)

  const lines: string[] = []
  const upstreams = await startUpstreams()
  const app = build({ upstreamUrl: upstreams.url, logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } })
  t.teardown(async () => { await app.close(); await upstreams.close() })
  await app.inject({ url: '/v1/models', headers: { authorization: 'Bearer sk-demo-full', 'x-request-id': 'x'.repeat(8000) } })
  t.notOk(lines.some((line) => line.includes('x'.repeat(200))), 'an 8,000-character id is not logged')
})

t.test('the example: JSON nested 120,000 deep in an open field is invalid_request, not a 500', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  const deep = `${'['.repeat(120_000)}${']'.repeat(120_000)}`
  for (const field of ['tool_choice', 'metadata', 'logit_bias', 'messages']) {
    const body = field === 'messages'
      ? `{"model":"demo-chat","messages":[{"role":"user","content":${deep}}]}`
      : `{"model":"demo-chat","messages":[{"role":"user","content":"hi"}],"${field}":${deep}}`
    const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-demo-full', 'content-type': 'application/json' }, body })
    t.equal(response.status, 400, `${field}: 400`)
    const { error } = await response.json() as { error: { code: string, message: string } }
    t.equal(error.code, 'invalid_request')
    t.match(error.message, /nested more than 64 levels/)
  }
  t.equal(gateway.attempts('internal_error'), 0, 'no internal_error recorded')
  const escaped = JSON.stringify({ model: 'demo-chat', messages: [{ role: 'user', content: '[[[[{{{{"\\'.repeat(100) }] })
  const fine = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-demo-full', 'content-type': 'application/json' }, body: escaped })
  t.equal(fine.status, 200, 'brackets, quotes and backslashes inside strings are not nesting')
})
