// Real provider event streams that fail (test/fixtures/providers/streams.json, each citing where it
// was seen): fetchUpstream catches an error before the first byte is forwarded, or forwards the
// events before it; through the plugin the stream ends with one catalog error event, in the route's
// envelope, read by the official SDKs as the right error; the provider's words never reach the client.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import Fastify from 'fastify'
import OpenAI from 'openai'
import t, { type Test as Tap } from 'tap'
import gatewayErrors, { catalog, fetchUpstream, GatewayError } from '../internals'

interface StreamFixture { provider: string, name: string, source: string, stream: string, expect: { code: string, eventsBefore: number } }

const corpus = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'provider-streams.json'), 'utf8')) as StreamFixture[]
const PLANTED = 'sk-proj-PLANTEDSECRET0123456789abcd'

t.ok(new Set(corpus.map((fixture) => fixture.provider)).size >= 4, `${corpus.length} streams from ${new Set(corpus.map((f) => f.provider)).size} providers`)

async function upstream (t: Tap) {
  const server = createServer((req, res) => {
    const fixture = corpus[Number(req.url?.split('/')[1])] as StreamFixture
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    // the provider's message, with a secret in it: it must not reach the client
    res.end(fixture.stream.replace(/Overloaded|overloaded|disconnected|Rate limit reached/, (word) => `${word} ${PLANTED}`))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('fetchUpstream: the error caught before the first byte, or after the events before it', async (t) => {
  const base = await upstream(t)
  for (const [i, fixture] of corpus.entries()) {
    const label = `${fixture.provider}: ${fixture.name}`
    const forwarded: string[] = []
    const error = await (async () => {
      const { stream } = await fetchUpstream(`${base}/${i}`, { provider: fixture.provider, timeoutMs: 2000, raw: true })
      for await (const part of stream as AsyncIterable<Buffer | string>) forwarded.push(String(part))
    })().then(() => undefined, (e: unknown) => e)
    t.ok(error instanceof GatewayError, `${label}: thrown`)
    t.equal((error as GatewayError).code, fixture.expect.code, label)
    t.equal(forwarded.join('').replace(/\r\n?/g, '\n').split('\n\n').length - 1, fixture.expect.eventsBefore, `${label}: ${fixture.expect.eventsBefore} events forwarded before it`)
    t.notMatch(forwarded.join(''), /"error"|event: error/, `${label}: no provider error event forwarded`)
    t.notMatch(JSON.stringify((error as GatewayError).details), 'PLANTEDSECRET', `${label}: no secret in the details`)
  }
})

t.test('through the plugin: one catalog error event in the route\'s envelope, read by the SDKs', async (t) => {
  const base = await upstream(t)
  const app = Fastify()
  await app.register(gatewayErrors)
  const forward = async (request: { headers: Record<string, unknown>, abortSignal: AbortSignal }, reply: { header: (k: string, v: string) => unknown, send: (s: unknown) => unknown }) => {
    const i = Number(request.headers['x-fixture'])
    const fixture = corpus[i] as StreamFixture
    const { stream } = await fetchUpstream(`${base}/${i}`, { provider: fixture.provider, timeoutMs: 2000, raw: true, signal: request.abortSignal })
    reply.header('content-type', 'text/event-stream')
    return reply.send(stream)
  }
  app.post('/v1/chat/completions', forward as never)
  app.post('/v1/messages', { config: { gatewayErrors: { envelope: 'anthropic' } } }, forward as never)
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'k', maxRetries: 0 })
  const anthropic = new Anthropic({ baseURL: url, apiKey: 'k', maxRetries: 0 })

  for (const [i, fixture] of corpus.entries()) {
    const label = `${fixture.provider}: ${fixture.name}`
    const headers = { 'x-fixture': String(i) }
    const status = (catalog as Record<string, { status: number }>)[fixture.expect.code]?.status
    for (const path of ['/v1/chat/completions', '/v1/messages']) {
      const response = await fetch(url + path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })
      const text = await response.text()
      t.notMatch(text, 'PLANTEDSECRET', `${label} ${path}: no secret`)
      if (fixture.expect.eventsBefore === 0) {
        t.equal(response.status, status, `${label} ${path}: caught before the stream began, a proper ${status}`)
        t.match(text, `"${fixture.expect.code}"`)
        continue
      }
      t.equal(response.status, 200, `${label} ${path}: the stream had begun`)
      const events = text.trim().split('\n\n')
      const last = events.at(-1) as string
      t.equal(events.length, fixture.expect.eventsBefore + 1, `${label} ${path}: the provider's events, then one more`)
      t.match(last, path === '/v1/messages' ? /^event: error\ndata: \{"type":"error"/ : /^data: \{"error":/, `${label} ${path}: the envelope's error event`)
      t.match(last, `"${fixture.expect.code}"`, `${label} ${path}: with the catalog code`)
      t.notMatch(text, /\[DONE\]/, 'no [DONE] after an error')
    }
    const viaOpenai = await (async () => {
      const stream = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }, { headers })
      for await (const part of stream) if (part === undefined) break
    })().then(() => undefined, (e: unknown) => e) as { code?: string } | undefined
    t.equal(viaOpenai?.code, fixture.expect.code, `${label}: the openai SDK raises it with the catalog code`)
    const viaAnthropic = await (async () => {
      const stream = anthropic.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers })
      for await (const part of stream) if (part === undefined) break
    })().then(() => undefined, (e: unknown) => e)
    t.ok(viaAnthropic instanceof Anthropic.APIError, `${label}: the Anthropic SDK raises an APIError`)
    t.match(JSON.stringify((viaAnthropic as { error?: unknown }).error), fixture.expect.code, `${label}: with the catalog code in its body`)
  }
})
