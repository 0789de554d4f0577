// fetchUpstream against hostile and failing upstreams on 127.0.0.1: streams checked before their
// first byte is forwarded, provider error events translated, no redirect followed to another host,
// bodies read up to a cap, and no expression of the package slow on adversarial input.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import OpenAI from 'openai'
import t from 'tap'
import gatewayErrors, { fetchUpstream, GatewayError, redactString } from '../internals'
import { toSafeJson } from '../../lib/upstream/redact'
import { translateProviderError } from '../../lib/upstream/provider-errors'
import { parseDuration, providerWait } from '../../lib/upstream/provider-waits'

const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
const sse = { 'content-type': 'text/event-stream' }

type Handler = (req: IncomingMessage, res: ServerResponse) => void
async function serve (handler: Handler, host = '127.0.0.1'): Promise<{ url: string, close: () => void }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, close: () => { server.closeAllConnections(); server.close() } }
}

const upstreamRoutes: Record<string, Handler> = {
  '/ok': (_req, res) => { res.writeHead(200, sse); res.write(chunk('Hello')); res.end(`${chunk(' world')}data: [DONE]\n\n`) },
  '/html': (_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html><body>502 Bad Gateway</body></html>') },
  '/first-error': (_req, res) => { res.writeHead(200, sse); res.end('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n') },
  '/mid-error': (_req, res) => { res.writeHead(200, sse); res.write(chunk('Hello')); setTimeout(() => res.end('data: {"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}\n\n'), 5) },
  '/openrouter': (_req, res) => { res.writeHead(200, sse); res.write(chunk('Hi')); setTimeout(() => res.end('data: {"id":"x","object":"chat.completion.chunk","error":{"code":502,"message":"Provider returned error"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n\n'), 5) },
  '/cut': (req, res) => { res.writeHead(200, sse); res.write(chunk('Hello')); setTimeout(() => req.socket.destroy(), 10) },
  '/empty': (_req, res) => { res.writeHead(200, sse); res.end() },
  '/huge': (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(`{"id":"${'x'.repeat(200_000)}"}`) },
  '/echo-400': (_req, res) => { res.writeHead(400, { 'content-type': 'application/json' }); res.end(JSON.stringify({ error: { message: `Invalid value: ${'<'.repeat(100_000)}${'a'.repeat(150_000)}` } })) },
  '/lt-page': (_req, res) => { res.writeHead(502, { 'content-type': 'text/html' }); res.end('<'.repeat(100_000)) },
  '/safety': (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"promptFeedback":{"blockReason":"SAFETY"}}') }
}

t.test('raw streams: checked before the first byte, error events translated', async (t) => {
  const upstream = await serve((req, res) => (upstreamRoutes[req.url as string] as Handler)(req, res))
  t.teardown(upstream.close)
  const ok = await fetchUpstream(`${upstream.url}/ok`, { provider: 'p', timeoutMs: 2000, raw: true })
  let text = ''
  for await (const part of ok.stream as AsyncIterable<Buffer | string>) text += String(part)
  t.equal(text, `${chunk('Hello')}${chunk(' world')}data: [DONE]\n\n`, 'a healthy stream is forwarded as sent')

  const early: Array<[string, string]> = [['/html', 'upstream_error'], ['/first-error', 'model_unavailable'], ['/empty', 'upstream_error'], ['/safety', 'content_filtered']]
  for (const [path, code] of early) {
    const error = await fetchUpstream(`${upstream.url}${path}`, { provider: 'p', timeoutMs: 2000, raw: true }).then(() => undefined, (e: unknown) => e)
    t.equal((error as GatewayError).code, code, `${path}: thrown before anything is forwarded`)
  }
  for (const [path, code] of [['/mid-error', 'rate_limit_exceeded'], ['/openrouter', 'upstream_error'], ['/cut', 'upstream_error']]) {
    const { stream } = await fetchUpstream(`${upstream.url}${path}`, { provider: 'p', timeoutMs: 2000, raw: true })
    const parts: string[] = []
    const error = await (async () => { for await (const part of stream as AsyncIterable<Buffer | string>) parts.push(String(part)) })().then(() => undefined, (e: unknown) => e)
    t.equal(parts.length, 1, `${path}: the events before the error`)
    t.equal((error as GatewayError).code, code, `${path}: the error event becomes ${code}`)
  }
})

t.test('through the plugin and the openai SDK: the provider\'s stream error as the catalog event', async (t) => {
  const upstream = await serve((req, res) => (upstreamRoutes[req.url as string] as Handler)(req, res))
  t.teardown(upstream.close)
  const app = Fastify()
  await app.register(gatewayErrors)
  app.post('/v1/chat/completions', async (request, reply) => {
    const path = String(request.headers['x-upstream'])
    const { stream } = await fetchUpstream(`${upstream.url}${path}`, { provider: 'p', timeoutMs: 2000, raw: true, signal: request.abortSignal })
    return reply.header('content-type', 'text/event-stream').header('cache-control', 'no-cache').send(stream)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1`, apiKey: 'k', maxRetries: 0 })
  for (const [path, code, started] of [['/mid-error', 'rate_limit_exceeded', true], ['/html', 'upstream_error', false]] as const) {
    let text = ''
    const error = await (async () => {
      const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }, { headers: { 'x-upstream': path } })
      for await (const part of stream) text += part.choices[0]?.delta?.content ?? ''
    })().then(() => undefined, (e: unknown) => e) as InstanceType<typeof OpenAI.APIError>
    t.ok(error instanceof OpenAI.APIError, `${path}: APIError`)
    t.equal(error.code, code)
    t.equal(text, started ? 'Hello' : '', started ? 'the stream had started' : 'an HTML page at 200 never reached the client')
    if (!started) t.equal(error.status, 502, 'a proper status, not a 200 stream')
  }
})

t.test('redirects are not followed to another host; same-origin only when asked', async (t) => {
  const received: string[] = []
  const elsewhere = await serve((req, res) => { received.push(`${req.method} ${String(req.headers['x-api-key'])}`); res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"stolen":true}') }, '127.0.0.2')
  t.teardown(elsewhere.close)
  const provider = await serve((req, res) => {
    if (req.url === '/same') { res.writeHead(307, { location: '/ok' }); return res.end() }
    if (req.url === '/ok') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{"id":"ok"}') }
    res.writeHead(Number(req.url?.slice(1)), { location: `${elsewhere.url}/steal` })
    res.end()
  })
  t.teardown(provider.close)
  for (const status of [301, 302, 307, 308]) {
    for (const redirects of ['none', 'same-origin'] as const) {
      const error = await fetchUpstream(`${provider.url}/${status}`, { provider: 'p', timeoutMs: 2000, method: 'POST', body: '{"prompt":"secret"}', headers: { 'x-api-key': 'provider-key' }, redirects }).then(() => undefined, (e: unknown) => e)
      t.equal((error as GatewayError).code, 'upstream_error', `${status}, ${redirects}: an upstream_error`)
    }
  }
  t.same(received, [], 'the other host never saw the key or the prompt')
  const same = await fetchUpstream(`${provider.url}/same`, { provider: 'p', timeoutMs: 2000, redirects: 'same-origin' })
  t.same(same.body, { id: 'ok' }, 'same origin, when asked')
  const notAsked = await fetchUpstream(`${provider.url}/same`, { provider: 'p', timeoutMs: 2000 }).then(() => undefined, (e: unknown) => e)
  t.equal((notAsked as GatewayError).code, 'upstream_error', 'by default, none')
})

t.test('bodies are read up to a cap; huge and adversarial bodies do not block the event loop', async (t) => {
  const upstream = await serve((req, res) => (upstreamRoutes[req.url as string] as Handler)(req, res))
  t.teardown(upstream.close)
  const huge = await fetchUpstream(`${upstream.url}/huge`, { provider: 'p', timeoutMs: 2000, maxBytes: 100_000 }).then(() => undefined, (e: unknown) => e)
  t.equal((huge as GatewayError).code, 'upstream_error')
  for (const path of ['/echo-400', '/lt-page']) {
    const started = performance.now()
    const error = await fetchUpstream(`${upstream.url}${path}`, { provider: 'p', timeoutMs: 2000, excerpt: true }).then(() => undefined, (e: unknown) => e)
    t.ok(performance.now() - started < 500, `${path}: answered in ${Math.round(performance.now() - started)} ms`)
    t.ok(error instanceof GatewayError)
    t.ok(String(((error as GatewayError).details as { excerpt?: string }).excerpt ?? '').length <= 201, 'a short excerpt')
  }
})

t.test('no expression of the package takes more than 1 ms on 100 KB of adversarial input', async (t) => {
  const inputs = [
    '<'.repeat(100_000), 'a'.repeat(100_000), 'sk-'.repeat(33_000), 'eyJ' + 'a'.repeat(100_000), 'Bearer ' + ' '.repeat(100_000),
    'a.'.repeat(50_000), '1'.repeat(100_000), 'key='.repeat(25_000), '10.'.repeat(33_000), 'a/'.repeat(50_000), ('x'.repeat(31) + '-').repeat(3000)
  ]
  // the best of three runs, after a warm-up: what is measured is the expression, not a GC pause
  const time = (run: () => void) => {
    run()
    let best = Infinity
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      run()
      best = Math.min(best, performance.now() - started)
    }
    return best
  }
  const flats = inputs.map((input) => input.split('').join(''))
  // The package clips before any expression runs, so what it does with 100 KB takes under 1 ms.
  for (const flat of flats) {
    const body = JSON.stringify({ error: { message: flat } })
    t.ok(time(() => redactString(flat)) < 1, `redactString on ${JSON.stringify(flat.slice(0, 6))}…`)
    t.ok(time(() => translateProviderError({ status: 400, body: { error: { message: flat } } })) < 1, `translateProviderError on ${JSON.stringify(flat.slice(0, 6))}…`)
    t.ok(time(() => translateProviderError({ status: 400, body })) < 5, 'with JSON.parse of the 100 KB body')
  }
  // Each expression on its own, unclipped, is timed by test/package/expressions.test.ts (every one in lib/).
})

t.test('redaction: secrets of each format, in text, URLs and JSON', async (t) => {
  const secrets = [
    'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AIzaSyA1234567890abcdefghijklmnopqrstu',
    'ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', 'Basic dXNlcjpwYXNzd29yZA==',
    'sk-abc123XYZ', 'password=hunter2', 'http://api.svc.cluster.local:8080/v1', 'http://10.0.3.7:9000/x', 'api.internal'
  ]
  const leak = (text: string) => ['eyJzdWIi', 'IOSFODNN7', 'bPxRfiCY', '1234567890abcdef', '16C7e42F', 'AbCdEfGhIj', 'dXNlcjpw', 'abc123XYZ', 'hunter2', 'cluster.local', '10.0.3.7', 'api.internal'].filter((part) => text.includes(part))
  for (const secret of secrets) {
    for (const text of [`failed with ${secret} here`, `https://host/path?key=${secret}&x=1`, JSON.stringify({ detail: secret })]) {
      t.same(leak(redactString(text, 400)), [], text.slice(0, 60))
    }
  }
  t.equal(redactString('meta-llama/Llama-3.1-405B-Instruct-Turbo'), 'meta-llama/Llama-3.1-405B-Instruct-Turbo', 'model names survive')
  t.equal(redactString('limit 60 per minute'), 'limit 60 per minute')
})

t.test('toSafeJson reads at most 50 values of a wide object', async (t) => {
  let reads = 0
  const wide: Record<string, number> = {}
  for (let i = 0; i < 200_000; i++) Object.defineProperty(wide, `k${i}`, { enumerable: true, get: () => { reads++; return i } })
  const copy = toSafeJson(wide) as Record<string, number>
  t.equal(Object.keys(copy).length, 50)
  t.equal(reads, 50, 'the rest are never read')
})

t.test('provider waits: every way a provider states one', async (t) => {
  const now = Date.parse('2026-11-25T12:00:00Z')
  t.equal(parseDuration('1m30s'), 90_000)
  t.equal(parseDuration('20ms'), 20)
  t.equal(parseDuration('6.5s'), 6500)
  t.equal(parseDuration('soon'), undefined)
  t.equal(providerWait({ 'retry-after-ms': '750' }, undefined, now), 750)
  t.equal(providerWait(new Headers({ 'x-ms-retry-after-ms': '6000' }), undefined, now), 6000)
  t.equal(providerWait({ 'retry-after': 'Wed, 25 Nov 2026 12:00:10 GMT' }, undefined, now), 10_000)
  t.equal(providerWait({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }, undefined, now), 360_000)
  t.equal(providerWait({ 'anthropic-ratelimit-tokens-reset': '2026-11-25T12:00:30Z' }, undefined, now), 30_000)
  t.equal(providerWait({ 'anthropic-ratelimit-tokens-reset': 'garbage' }, undefined, now), undefined)
  t.equal(providerWait(undefined, [{ error: { details: [{ retryDelay: '37s' }] } }], now), 37_000)
  t.equal(providerWait(undefined, { error: { details: 'x' } }, now), undefined)
})
