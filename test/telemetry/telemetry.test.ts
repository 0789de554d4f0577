// OpenTelemetry with the real SDK and the instrumentations users install (@fastify/otel, http,
// undici): every sendable code's server spans carry error.type = the code, Error status for 5xx only;
// a stream failing midway and a client that leaves are marked; an upstream 429 then a success gives
// two attempt spans and a request not in error; the metric points carry the spans' error.type.
import { collectMetrics, spans } from './setup'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import gatewayErrors, { catalog, GatewayError, sendableCodes, type GatewayErrorCode } from '../internals'
import { attemptCandidates, fetchUpstream } from '../../lib/upstream'

const json = { 'content-type': 'application/json' }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function upstream () {
  let calls = 0
  const server = createServer((req, res) => {
    calls++
    if (req.url === '/limited-once' && calls % 2 === 1) {
      res.writeHead(429, { ...json, 'retry-after-ms': '5' })
      return res.end(JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests' } }))
    }
    if (req.url === '/breaks') {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: {"choices":[{"index":0,"delta":{"content":"Hello"}}]}\n\n')
      return setTimeout(() => res.end('data: {"error":{"message":"Internal error","type":"server_error"}}\n\n'), 5)
    }
    if (req.url === '/hangs') return
    res.writeHead(200, json)
    res.end(JSON.stringify({ choices: [{ message: { content: 'ok' } }] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => { server.closeAllConnections(); server.close() } }
}

async function gateway (t: Test) {
  const provider = await upstream()
  const app = Fastify()
  await app.register(gatewayErrors)
  app.get('/code/:code', async (request, reply) => reply.gatewayError((request.params as { code: GatewayErrorCode }).code as never))
  app.get('/thrown', async () => { throw new GatewayError('upstream_timeout') })
  app.post('/chat', async (request) => {
    const { result } = await attemptCandidates([{ name: 'alpha', model: 'demo-model' }], (candidate, { signal }) =>
      fetchUpstream(`${provider.url}/limited-once`, { provider: candidate.name, timeoutMs: 1000, method: 'POST', headers: json, body: '{}', signal }), { signal: request.abortSignal, backoffMs: 1 })
    return result.body
  })
  app.post('/stream', async (_request, reply) => {
    const { stream } = await fetchUpstream(`${provider.url}/breaks`, { provider: 'beta', model: 'demo-model', timeoutMs: 1000, method: 'POST', headers: json, body: '{}', raw: true })
    return reply.header('content-type', 'text/event-stream').send(stream)
  })
  app.post('/hangs', async (request) => (await fetchUpstream(`${provider.url}/hangs`, { provider: 'gamma', timeoutMs: 5000, method: 'POST', headers: json, body: '{}', signal: request.abortSignal })).body)
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); provider.close() })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

/** The spans of the request to `path`: the HTTP server span, @fastify/otel's request span, and their children. */
function spansOf (path: string): { server: ReadableSpan, request: ReadableSpan | undefined, all: ReadableSpan[] } {
  const finished = spans.getFinishedSpans()
  const server = finished.find((span) => span.kind === SpanKind.SERVER && span.attributes['url.path'] === path) as ReadableSpan
  const traceId = server.spanContext().traceId
  const all = finished.filter((span) => span.spanContext().traceId === traceId)
  return { server, request: all.find((span) => span.name === 'request'), all }
}

t.test('every sendable code: error.type on the server spans, Error status for 5xx only', async (t) => {
  const url = await gateway(t)
  for (const code of sendableCodes) {
    spans.reset()
    const res = await fetch(`${url}/code/${code}`)
    await res.arrayBuffer()
    await sleep(5)
    const { server, request } = spansOf(`/code/${code}`)
    const status = catalog[code].status
    t.equal(res.status, status)
    for (const [name, span] of [['HTTP server span', server], ['@fastify/otel request span', request]] as const) {
      t.equal(span?.attributes['error.type'], code, `${code}: ${name} error.type`)
      t.equal(span?.attributes['gateway.error.retryable'], catalog[code].retryable, `${code}: ${name} retryable`)
      t.match(span?.attributes['gateway.request.id'], /^\S+$/, `${code}: ${name} request id`)
    }
    t.equal(server.status.code, status >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET, `${code}: server span status`)
    t.equal(server.attributes['http.response.status_code'], status)
    if (status >= 500) t.match(request?.events, [{ name: 'exception', attributes: { 'exception.type': code, 'exception.message': catalog[code].message } }])
    else t.notOk(request?.events.some((event) => event.name === 'exception' && event.attributes?.['exception.type'] === code), `${code}: no exception for a 4xx`)
    const text = JSON.stringify([server.attributes, request?.attributes, request?.events])
    t.notMatch(text, /details|sk-/, `${code}: no details, no secrets in attributes`)
  }
})

t.test('a thrown error, a stream failing midway, a client that leaves', async (t) => {
  const url = await gateway(t)
  spans.reset()
  await (await fetch(`${url}/thrown`)).arrayBuffer()
  await sleep(5)
  t.equal(spansOf('/thrown').server.attributes['error.type'], 'upstream_timeout')

  spans.reset()
  const streamed = await (await fetch(`${url}/stream`, { method: 'POST', headers: json, body: '{}' })).text()
  await sleep(20)
  t.match(streamed, /upstream_error/, 'the catalog error event ended the stream')
  const stream = spansOf('/stream')
  t.equal(stream.server.attributes['error.type'], 'upstream_error', 'the server span says why the stream failed')
  t.equal(stream.server.status.code, SpanStatusCode.ERROR, 'Error although the 200 was sent: the conventions say so when another error follows')
  const client = stream.all.find((span) => span.kind === SpanKind.CLIENT && span.name === 'chat demo-model')
  t.match(client?.attributes, { 'gen_ai.provider.name': 'beta', 'gen_ai.request.model': 'demo-model', 'gen_ai.operation.name': 'chat', 'server.address': '127.0.0.1' })
  t.type(client?.attributes['gen_ai.response.time_to_first_chunk'], 'number', 'the time to the first chunk')

  spans.reset()
  const port = Number(new URL(url).port)
  const req = httpRequest({ host: '127.0.0.1', port, path: '/hangs', method: 'POST', headers: { ...json, 'content-length': '2' } })
  req.on('error', () => {})
  req.end('{}')
  await sleep(100)
  req.destroy()
  await sleep(150)
  const gone = spansOf('/hangs')
  t.equal(gone.server.attributes['error.type'], 'client_disconnected', 'recorded as such on the server span')
  t.not(gone.server.status.code, SpanStatusCode.ERROR, 'not a server error')
  const call = gone.all.find((span) => span.kind === SpanKind.CLIENT && span.name === 'chat gamma')
  t.equal(call?.attributes['error.type'], 'client_disconnected', 'the upstream call it cancelled')
})

t.test('an upstream 429 then a success: two attempt spans, the request not in error; metrics agree', async (t) => {
  const url = await gateway(t)
  await collectMetrics()
  spans.reset()
  const res = await fetch(`${url}/chat`, { method: 'POST', headers: json, body: '{}' })
  t.equal(res.status, 200)
  await sleep(5)
  const { server, all } = spansOf('/chat')
  t.equal(server.status.code, SpanStatusCode.UNSET)
  t.equal(server.attributes['error.type'], undefined, 'a handled failure is not the request\'s error')
  const attempts = all.filter((span) => span.kind === SpanKind.CLIENT && span.instrumentationScope.name === 'fastify-gateway-errors')
  t.equal(attempts.length, 2, 'one span per attempt')
  t.match(attempts.map((span) => span.attributes), [
    { 'error.type': 'rate_limit_exceeded', 'http.response.status_code': 429, 'gen_ai.provider.name': 'alpha', 'gen_ai.request.model': 'demo-model', 'server.address': '127.0.0.1' },
    { 'gen_ai.provider.name': 'alpha' }
  ])
  t.equal(attempts[0]?.status.code, SpanStatusCode.ERROR)
  t.equal(attempts[1]?.attributes['error.type'], undefined)
  const undici = all.filter((span) => span.kind === SpanKind.CLIENT && span.instrumentationScope.name.includes('undici'))
  t.ok(undici.every((span) => attempts.some((attempt) => attempt.spanContext().spanId === span.parentSpanContext?.spanId)), 'undici\'s spans are children of the attempts')

  const points = (await collectMetrics()).get('gen_ai.client.operation.duration') ?? []
  t.same(points.map((point) => String(point.attributes['error.type'])).sort(), ['rate_limit_exceeded', 'undefined'], 'error.type on the failure only')
  t.ok(points.every((point) => point.attributes['gen_ai.provider.name'] === 'alpha' && !('gateway.request.id' in point.attributes)), 'low-cardinality attributes only')
})

t.test('the telemetry functions, directly: hostile spans, odd URLs, streams that fail', async (t) => {
  const { markServerSpans, upstreamCall, gatewaySpanAttributes } = await import('../../lib/telemetry/telemetry')
  const throwing = { isRecording: () => { throw new Error('broken tracer') } }
  const error = { code: 'internal_error', status: 500, retryable: false, message: 'm' }
  t.doesNotThrow(() => markServerSpans({ id: 'id', opentelemetry: () => { throw new Error('no tracer') } }, {}, error))
  t.doesNotThrow(() => markServerSpans({ id: 'id', opentelemetry: () => ({ span: throwing as never }) }, {}, error))
  spans.reset()
  await upstreamCall({ operation: 'embeddings', provider: 'p' }, async (call) => {
    call?.setServer('not a url')
    call?.setServer('https://api.example.com/v1')
    call?.failed('upstream_error', undefined)
  })
  await upstreamCall({ operation: 'chat', provider: 'r' }, async (call) => { call?.failed('upstream_timeout', { provider: 'r' }); call?.failed('x', null) })
  await upstreamCall({ operation: 'chat', provider: 's' }, async (call) => { call?.succeeded(null); call?.succeeded({ delivered: 'not a promise' }) })
  let failDelivery: () => void = () => {}
  await upstreamCall({ operation: 'chat', provider: 'q', model: 'm' }, async (call) => {
    call?.setServer('http://127.0.0.1:8080/v1')
    call?.succeeded({ delivered: new Promise((_resolve, reject) => { failDelivery = () => reject(new Error('cut')) }) })
  })
  failDelivery()
  await sleep(5)
  const [embeddings, chat] = spans.getFinishedSpans().filter((span) => span.instrumentationScope.name === 'fastify-gateway-errors' && /^(embeddings p|chat m)$/.test(span.name))
  t.match(embeddings, { name: 'embeddings p', attributes: { 'server.address': 'api.example.com', 'server.port': 443, 'error.type': 'upstream_error' } })
  t.notOk('http.response.status_code' in (embeddings?.attributes ?? {}), 'no status when the provider never answered')
  t.match(chat, { name: 'chat m', attributes: { 'server.port': 8080 } })
  const set: Record<string, unknown> = {}
  gatewaySpanAttributes({ setAttributes: (a: object) => Object.assign(set, a), setAttribute: (k: string, v: unknown) => { set[k] = v } } as never, undefined, { writableFinished: true } as never)
  t.same(set, {}, 'a response that finished without a catalog error: nothing added')
})
