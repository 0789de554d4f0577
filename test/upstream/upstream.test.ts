// Upstream faults over real sockets: each becomes the right catalog code, and the provider's raw
// body never reaches the client.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { attemptCandidates } from '../../lib/upstream'
import { fetchUpstream, GatewayError } from '../internals'
import { buildApp, validateBody } from '../helpers'

const SECRET = 'INTERNAL-UPSTREAM-TRACE sk-live-abcdefghijklmnopqrstuvwxyz'

function fakeUpstream (): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
      res.writeHead(status, headers)
      res.end(body)
    }
    switch (req.url) {
      case '/ok': return send(200, '{"id":"chatcmpl-1","choices":[]}')
      case '/hang': return undefined // never answers
      case '/slow-body':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"id":')
        return undefined // headers, then nothing
      case '/reset': return req.socket.destroy()
      case '/reset-mid-body':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
        res.write('{"id":"x"')
        setTimeout(() => req.socket.destroy(), 10)
        return undefined
      case '/html': return send(200, `<html><body><h1>502 Bad Gateway</h1>${SECRET}</body></html>`, { 'content-type': 'text/html' })
      case '/truncated': return send(200, `{"id":"chatcmpl-1","choices":[{"message":{"content":"${SECRET}`)
      case '/schema-invalid': return send(200, '{"unexpected":true}')
      case '/429': return send(429, `{"error":{"message":"${SECRET}"}}`, { 'content-type': 'application/json', 'retry-after': '2' })
      case '/429-long': return send(429, '{}', { 'retry-after': '3600' })
      case '/429-ms': return send(429, '{}', { 'retry-after-ms': '750' })
      case '/500': return send(500, `{"error":{"message":"${SECRET}"}}`)
      case '/503': return send(503, 'overloaded')
      case '/401': return send(401, '{"error":{"code":"invalid_api_key"}}')
      case '/filtered': return send(400, '{"error":{"code":"content_policy_violation","message":"flagged"}}')
      case '/context': return send(400, '{"error":{"code":"context_length_exceeded","message":"too long"}}')
      case '/bad-request': return send(400, `{"error":{"message":"${SECRET}"}}`)
      case '/timeout': return send(504, 'gateway timeout')
      case '/413': return send(413, 'too big')
      default: return send(404, 'nope')
    }
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

t.test('fetchUpstream maps every fault to a catalog code', async (t) => {
  const upstream = await fakeUpstream()
  t.teardown(() => { upstream.closeAllConnections(); upstream.close() })
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  const closed = await fakeUpstream()
  const closedPort = (closed.address() as AddressInfo).port
  await new Promise((resolve) => closed.close(resolve))

  const cases: Array<[string, string, Record<string, unknown>?]> = [
    ['/hang', 'upstream_timeout', { timeout_ms: 200 }],
    ['/slow-body', 'upstream_timeout', { timeout_ms: 300 }], // headers in time: then the body's silence is what counts
    ['/reset', 'upstream_error'],
    ['/reset-mid-body', 'upstream_error'],
    ['/html', 'upstream_error', { upstream: { status: 200 } }],
    ['/truncated', 'upstream_error'],
    ['/schema-invalid', 'upstream_error'],
    ['/429', 'rate_limit_exceeded', { retry_after_ms: 2000, upstream: { status: 429 } }],
    ['/429-long', 'model_unavailable'], // an hour away: not a retryable rate limit, and no wait stated
    ['/429-ms', 'rate_limit_exceeded', { retry_after_ms: 750 }],
    ['/500', 'upstream_error', { upstream: { status: 500 } }],
    ['/503', 'model_unavailable'],
    ['/401', 'upstream_error', { upstream: { status: 401 } }],
    ['/filtered', 'content_filtered'],
    ['/context', 'context_length_exceeded'],
    ['/bad-request', 'invalid_request'],
    ['/timeout', 'upstream_timeout'],
    ['/413', 'payload_too_large'],
    [`http://127.0.0.1:${closedPort}/refused`, 'model_unavailable']
  ]
  for (const [path, code, details] of cases) {
    const url = path.startsWith('http') ? path : base + path
    const error = await fetchUpstream(url, { provider: 'acme', timeoutMs: 200, idleTimeoutMs: 300, validate: (body) => typeof (body as { id?: unknown }).id === 'string' })
      .then(() => undefined, (e: unknown) => e)
    t.type(error, GatewayError, `${path}: a GatewayError`)
    t.equal((error as GatewayError).code, code, `${path}: ${code}`)
    t.match((error as GatewayError).details, { provider: 'acme', ...details }, `${path}: details`)
    t.notMatch(JSON.stringify((error as GatewayError).details ?? {}), 'INTERNAL-UPSTREAM', `${path}: no raw body`)
  }
  const ok = await fetchUpstream(`${base}/ok`, { provider: 'acme', timeoutMs: 1000 })
  t.same(ok.body, { id: 'chatcmpl-1', choices: [] })
  const raw = await fetchUpstream(`${base}/ok`, { provider: 'acme', timeoutMs: 1000, raw: true }).catch((e: GatewayError) => e)
  t.equal((raw as GatewayError).code, 'upstream_error', 'raw: a JSON answer to a stream request is not a stream')

  const excerpt = await fetchUpstream(`${base}/html`, { provider: 'acme', timeoutMs: 1000, excerpt: true }).catch((e: GatewayError) => e)
  const text = String(((excerpt as GatewayError).details as { excerpt?: string }).excerpt)
  t.match(text, '502 Bad Gateway INTERNAL-UPSTREAM-TRACE sk-…wxyz', 'tags stripped, key masked')
  t.notMatch(text, 'abcdefghijklmnop')
})

t.test('through the plugin: status, retry headers, no echo', async (t) => {
  const upstream = await fakeUpstream()
  t.teardown(() => { upstream.closeAllConnections(); upstream.close() })
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  const app = await buildApp({}, (app) => {
    app.get('/proxy/:path', async (request) => {
      const { body } = await fetchUpstream(`${base}/${(request.params as { path: string }).path}`, { provider: 'acme', timeoutMs: 200, signal: request.abortSignal })
      return body
    })
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const expected: Array<[string, number, string, string | undefined]> = [
    ['hang', 504, 'upstream_timeout', undefined],
    ['reset', 502, 'upstream_error', undefined],
    ['html', 502, 'upstream_error', undefined],
    ['truncated', 502, 'upstream_error', undefined],
    ['429', 429, 'rate_limit_exceeded', '2'],
    ['500', 502, 'upstream_error', undefined]
  ]
  for (const [path, status, code, retryAfter] of expected) {
    const res = await fetch(`${url}/proxy/${path}`)
    const body = await res.json() as { error: { code: string } }
    t.equal(res.status, status, `${path}: ${status}`)
    t.equal(body.error.code, code, `${path}: ${code}`)
    t.equal(res.headers.get('x-should-retry'), 'true', `${path}: worth retrying`)
    t.equal(res.headers.get('retry-after') ?? undefined, retryAfter, `${path}: retry-after`)
    t.equal(validateBody('openai', code as never, body), null)
    t.notMatch(JSON.stringify(body), 'INTERNAL-UPSTREAM', `${path}: the upstream body is not echoed`)
  }
})

t.test('a fetch that fails without a cause code is an upstream_error', async (t) => {
  const failing = (async () => { throw new Error('boom') }) as typeof fetch
  const error = await fetchUpstream('http://127.0.0.1:1/', { provider: 'p', timeoutMs: 100, fetch: failing }).catch((e: GatewayError) => e)
  t.equal((error as GatewayError).code, 'upstream_error')
  t.equal(((error as GatewayError).cause as Error).message, 'boom', 'the cause is kept for the log')
})

t.test('a route that returns the whole result by mistake sends internal_error, never {"response":{},…}', async (t) => {
  const upstream = await fakeUpstream()
  t.teardown(() => { upstream.closeAllConnections(); upstream.close() })
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  const logged: string[] = []
  const stream = { write: (line: string) => { logged.push(line) } }
  const app = await buildApp({}, (app) => {
    app.get('/whole', async () => fetchUpstream(`${base}/ok`, { provider: 'p', timeoutMs: 1000 }))
    app.get('/whole-schema', {
      schema: { response: { 200: { type: 'object', properties: { response: { type: 'object' }, body: { type: 'object', additionalProperties: true } } } } }
    }, async () => fetchUpstream(`${base}/ok`, { provider: 'p', timeoutMs: 1000 }))
    app.get('/attempts', async () => attemptCandidates([{ name: 'p' }], () => fetchUpstream(`${base}/ok`, { provider: 'p', timeoutMs: 1000 })))
    app.get('/body', async () => (await fetchUpstream(`${base}/ok`, { provider: 'p', timeoutMs: 1000 })).body)
  }, { logger: { level: 'error', stream } })
  t.teardown(() => app.close())
  for (const [url, hint] of [['/whole', /fetchUpstream\(\) resolves with \{ response, body/], ['/whole-schema', /reply with its \.body/], ['/attempts', /attemptCandidates\(\) resolves with \{ result, candidate, ledger \}/]] as const) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 500, url)
    t.equal(res.json().error.code, 'internal_error', url)
    t.notMatch(res.body, /"response"|chatcmpl/, `${url}: nothing of the result is sent`)
    t.equal(validateBody('openai', 'internal_error', res.json()), null, `${url}: the published schema`)
    t.match(logged.join(''), hint, `${url}: the log says what to send instead`)
  }
  const ok = await app.inject('/body')
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { id: 'chatcmpl-1', choices: [] }, 'its .body is the reply')
  const result = await fetchUpstream(`${base}/ok`, { provider: 'p', timeoutMs: 1000 })
  t.same(Object.keys(result), ['response', 'body'], 'the guard is not enumerable: spreads and destructuring are unchanged')
})
