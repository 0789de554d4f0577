// Real provider error replies (test/fixtures/providers/, each citing where it was seen), replayed
// through the pure translation and over a real socket through fetchUpstream: the most specific
// catalog code, the numbers the provider stated, and nothing of the provider's message unredacted.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { fetchUpstream, GatewayError } from '../internals'
import { translateProviderError } from '../../lib/upstream/provider-errors'

interface Fixture { name: string, source: string, status: number, headers: Record<string, string>, body: string, expect: { code: string, details?: Record<string, unknown> } }

const dir = join(__dirname, '..', 'fixtures', 'providers')
const corpus = readdirSync(dir).filter((file) => file.endsWith('.json')).flatMap((file) =>
  (JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture[]).map((fixture) => ({ provider: file.replace('.json', ''), ...fixture })))

t.ok(corpus.length >= 120, `${corpus.length} provider replies`)
t.ok(new Set(corpus.map((fixture) => fixture.provider)).size >= 20, 'from at least 20 providers and servers')
t.ok(corpus.every((fixture) => fixture.source.length > 5), 'each cites where it was seen')

t.test('the pure translation', async (t) => {
  for (const fixture of corpus) {
    const result = translateProviderError({ status: fixture.status, headers: fixture.headers, body: fixture.body, provider: fixture.provider })
    t.equal(result.code, fixture.expect.code, `${fixture.provider}: ${fixture.name}`)
    if (fixture.expect.details !== undefined) t.match(result.details, fixture.expect.details, `${fixture.provider}: ${fixture.name}: the numbers stated`)
    t.match(result.details, { upstream: { status: fixture.status, provider: fixture.provider } }, 'attributed')
  }
})

t.test('over a real socket through fetchUpstream, with excerpts: no planted secret survives', async (t) => {
  const SECRET = 'sk-proj-PLANTEDSECRET0123456789abcd'
  const server = createServer((req, res) => {
    const fixture = corpus[Number(req.url?.slice(1))] as Fixture
    res.writeHead(fixture.status, fixture.headers)
    res.end(fixture.body.replace('Overloaded', `Overloaded ${SECRET} at http://10.1.2.3:8080/v1?key=AIzaSyPLANTED0123456789abcdefghij`))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  for (const [i, fixture] of corpus.entries()) {
    const error = await fetchUpstream(`${base}/${i}`, { provider: fixture.provider, timeoutMs: 2000, excerpt: true }).then(() => undefined, (e: unknown) => e)
    t.ok(error instanceof GatewayError, `${fixture.provider}: ${fixture.name}: thrown`)
    t.equal((error as GatewayError).code, fixture.expect.code, `${fixture.provider}: ${fixture.name}`)
    const text = JSON.stringify((error as GatewayError).details)
    t.notMatch(text, 'PLANTEDSECRET', 'no secret in the details')
    t.notMatch(text, '10.1.2.3', 'no internal address')
  }
})

t.test('the errors the provider SDKs throw', async (t) => {
  const { default: OpenAI } = await import('openai')
  const { default: Anthropic } = await import('@anthropic-ai/sdk')
  const openai = OpenAI.APIError.generate(429, { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } }, undefined, new Headers())
  t.equal(translateProviderError(openai, 'openai').code, 'model_unavailable', 'openai APIError: the gateway\'s quota, not the caller\'s')
  const anthropic = Anthropic.APIError.generate(400, { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 215000 tokens > 200000 maximum' } }, undefined, new Headers({ 'request-id': 'x' }))
  t.match(translateProviderError(anthropic, 'anthropic'), { code: 'context_length_exceeded', details: { requested_tokens: 215000, max_context_tokens: 200000, provider: 'anthropic' } })
  const limited = Anthropic.APIError.generate(429, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, undefined, new Headers({ 'retry-after': '12' }))
  t.match(translateProviderError(limited), { code: 'rate_limit_exceeded', details: { retry_after_ms: 12_000 } })
  t.equal(translateProviderError({ error: undefined }).code, 'upstream_error', 'a connection error: no status')
})
