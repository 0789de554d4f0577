// What the plugin promises in SECURITY.md, each with a test that fails when the protection goes:
// every value lifted from a provider's reply is redacted, lookups keyed by provider text have no
// prototype, a malformed request never writes into a response in flight, and replies and pages
// carry the headers that stop sniffing and framing.
import t, { type Test as Tap } from 'tap'
import Fastify from 'fastify'
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import gatewayErrors, { fetchUpstream, gatewayClientErrorHandler, GatewayError, redactString } from '../internals'
import { statusOfError, translateProviderError } from '../../lib/upstream/provider-errors'
import { secretCases } from '../fixtures/secrets'

const KEY = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'

async function provider (t: Tap, status: number, body: unknown): Promise<string> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function gateway (t: Tap, upstream: string) {
  const app = Fastify({ clientErrorHandler: gatewayClientErrorHandler, forceCloseConnections: true })
  await app.register(gatewayErrors)
  app.post('/v1/chat/completions', async () => (await fetchUpstream(upstream, { provider: 'acme', timeoutMs: 2000, method: 'POST', body: '{}' })).body)
  t.teardown(() => app.close())
  return app
}

t.test('a key a provider names as the unknown parameter is masked in param and details.param', async (t) => {
  const lower = KEY.toLowerCase() // Anthropic's leading field names are lower case
  for (const message of [`Unknown parameter: '${KEY}'.`, `Unrecognized request argument supplied: ${KEY}`, `${lower}: must be a string`,
    `extraneous key [${KEY}] is not permitted`]) {
    const translated = translateProviderError({ status: 400, body: { error: { message, type: 'invalid_request_error' } } })
    t.type(translated.details.param, 'string', `${message}: a param is named`)
    t.notMatch(String(translated.details.param).toLowerCase(), 'hqlyjwdarjtt1zdp', `${message}: not the key (${String(translated.details.param)})`)
  }
  const app = await gateway(t, await provider(t, 400, { error: { message: `Unknown parameter: '${KEY}'.`, type: 'invalid_request_error', param: null } }))
  const reply = await app.inject({ method: 'POST', url: '/v1/chat/completions' })
  t.equal(reply.statusCode, 400)
  const { error } = reply.json() as { error: { code: string, param: string, details: { param: string } } }
  t.equal(error.code, 'unknown_field')
  t.equal(error.param, 'sk_…7dc'.replace('…7dc', `…${KEY.slice(-4)}`), 'the reply\'s param is the masked key')
  t.notMatch(reply.body, 'HqLyjWDarjtT1zdp', 'nowhere in the body')
})

t.test('provider text never reaches a prototype: `constructor`, `__proto__`, `toString`', async (t) => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    t.equal(statusOfError({ type: name }), 502, `type ${name}: a provider fault`)
    t.equal(statusOfError({ status: name }), 502, `status ${name}`)
  }
  for (const status of [{} as unknown as number, Number.NaN, 99, 600, 400.5, '429' as unknown as number]) {
    const translated = translateProviderError({ status, body: { error: { message: 'x' } } })
    t.equal(translated.code, 'upstream_error', `status ${JSON.stringify(status)}: upstream_error, not blamed on the caller`)
    t.equal((translated.details.upstream as { status: number }).status, 502)
  }
  const app = await gateway(t, await provider(t, 200, { error: { type: 'constructor', message: 'boom' } }))
  const reply = await app.inject({ method: 'POST', url: '/v1/chat/completions' })
  t.equal(reply.statusCode, 502, 'an error typed constructor in a 200 body: 502')
  const { error } = reply.json() as { error: { code: string, details: { upstream: { status: unknown } } } }
  t.equal(error.code, 'upstream_error')
  t.ok(Number.isInteger(error.details.upstream.status), 'upstream.status is an integer')
})

t.test('each secret format is redacted by its own expression (each case fails when that expression goes)', async (t) => {
  // Alone in its text, so that no other expression hides the one under test (test/fixtures/secrets.ts).
  for (const [label, text, secret] of secretCases) {
    const redacted = redactString(text, 400)
    t.notOk(redacted.includes(secret), `${label}: ${JSON.stringify(redacted)}`)
  }
  t.equal(redactString('eyJ-'.repeat(25_000)).length <= 201, true, 'a run of eyJ- is no token, and is clipped')
})

t.test('error replies say nosniff; the docs pages also refuse framing', async (t) => {
  const app = Fastify()
  await app.register(gatewayErrors, { docsRoute: '/errors' })
  app.get('/boom', async () => { throw new GatewayError('invalid_request') })
  t.teardown(() => app.close())
  const reply = await app.inject({ url: '/boom' })
  t.equal(reply.headers['x-content-type-options'], 'nosniff')
  const missing = await app.inject({ url: '/nowhere' })
  t.equal(missing.headers['x-content-type-options'], 'nosniff', 'on the not-found reply too')
  for (const url of ['/errors', '/errors/invalid_request']) {
    const page = await app.inject({ url })
    t.equal(page.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`)
    t.equal(page.headers['x-frame-options'], 'DENY', `${url}: not framed`)
    t.match(String(page.headers['content-security-policy']), "frame-ancestors 'none'")
  }
})

t.test('a malformed request behind a stream in flight writes nothing into the stream; alone, it gets the catalog 400', async (t) => {
  const app = Fastify({ clientErrorHandler: gatewayClientErrorHandler, forceCloseConnections: true })
  await app.register(gatewayErrors)
  app.get('/stream', (_request, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
    reply.raw.write('data: {"n":1}\n\n')
    setTimeout(() => { if (!reply.raw.destroyed) reply.raw.end('data: {"n":2}\n\ndata: [DONE]\n\n') }, 400)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const { port } = app.server.address() as AddressInfo
  const exchange = (first: string, then?: string) => new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(first))
    let received = ''
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1')
      if (then !== undefined && received.includes('"n":1')) { socket.write(then); then = undefined }
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(received))
  })
  const midStream = await exchange('GET /stream HTTP/1.1\r\nhost: x\r\n\r\n', 'GARBAGE \u0001\r\n\r\n')
  t.equal(midStream.split('HTTP/1.1 ').length - 1, 1, 'one status line: the stream\'s own')
  t.notMatch(midStream, 'invalid_request', 'no other response\'s body inside the stream')
  const alone = await exchange('GARBAGE \u0001\r\n\r\n')
  t.match(alone, /^HTTP\/1\.1 400 /)
  t.match(alone, 'x-content-type-options: nosniff')
  t.match(alone, '"code":"invalid_request"')
})
