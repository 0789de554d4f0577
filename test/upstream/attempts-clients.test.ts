// The attempt loop in a Fastify route, read by real clients (openai 7, @anthropic-ai/sdk, the AI SDK):
// the final error's class and code, the ledger in the body, the attempt headers; streams fall back
// before their first byte and never mix two providers' tokens.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Anthropic from '@anthropic-ai/sdk'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { APICallError, generateText } from 'ai'
import Fastify from 'fastify'
import OpenAI from 'openai'
import t, { type Test } from 'tap'
import gatewayErrors, { type GatewayErrorEvent } from '../internals'
import { validateBody } from '../helpers'
import { attemptCandidates, fetchUpstream, type AttemptRecord } from '../../lib/upstream'

const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
const json = { 'content-type': 'application/json' }
const COMPLETION = JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'served by ok' }, finish_reason: 'stop' }] })
const MESSAGE = JSON.stringify({ id: 'm', type: 'message', role: 'assistant', model: 'm', content: [{ type: 'text', text: 'served by ok' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } })

type Handler = (req: IncomingMessage, res: ServerResponse) => void
const providers: Record<string, Handler> = {
  down: (_req, res) => { res.writeHead(503, json); res.end(JSON.stringify({ error: { message: 'The server is overloaded', type: 'server_error' } })) },
  limited: (_req, res) => { res.writeHead(429, { ...json, 'retry-after-ms': '5' }); res.end(JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } })) },
  invalid: (_req, res) => { res.writeHead(400, json); res.end(JSON.stringify({ error: { message: "Invalid value for 'temperature': must be at most 2.", type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } })) },
  ok: (req, res) => { res.writeHead(200, json); res.end(req.url?.includes('messages') === true ? MESSAGE : COMPLETION) },
  'ok-stream': (_req, res) => { res.writeHead(200, { 'content-type': 'text/event-stream' }); res.write(chunk('second ')); res.end(`${chunk('provider')}data: [DONE]\n\n`) },
  'fails-first': (_req, res) => { res.writeHead(200, { 'content-type': 'text/event-stream' }); res.end('data: {"error":{"message":"Overloaded","type":"server_error"}}\n\n') },
  'fails-midway': (_req, res) => { res.writeHead(200, { 'content-type': 'text/event-stream' }); res.write(chunk('first ')); setTimeout(() => res.end('data: {"error":{"message":"Internal error","type":"server_error"}}\n\n'), 5) }
}
const scenarios: Record<string, string[]> = {
  fallback: ['down', 'ok'],
  'all-fail': ['down', 'limited'],
  invalid: ['invalid', 'ok'],
  'stream-fallback': ['fails-first', 'ok-stream'],
  'stream-midway': ['fails-midway', 'ok-stream']
}

async function start (t: Test) {
  const calls: Record<string, number> = {}
  const upstream = createServer((req, res) => {
    const name = (req.url ?? '').split('/')[1] as string
    calls[name] = (calls[name] ?? 0) + 1
    ;(providers[name] as Handler)(req, res)
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  const app = Fastify()
  const events: GatewayErrorEvent[] = []
  await app.register(gatewayErrors, { onGatewayError: (event) => events.push(event), envelopeFor: (request) => request.headers['anthropic-version'] === undefined ? undefined : 'anthropic' })
  const ledgers: Array<readonly AttemptRecord[]> = []
  for (const path of ['/v1/chat/completions', '/v1/messages']) {
    app.post(path, async (request, reply) => {
      const body = request.body as { model: string, stream?: boolean }
      const candidates = (scenarios[body.model] ?? []).map((name) => ({ name }))
      const { result } = await attemptCandidates(candidates, (candidate, context) => fetchUpstream(`${upstreamUrl}/${candidate.name}${path}`, {
        provider: candidate.name, timeoutMs: 1000, method: 'POST', headers: json, body: JSON.stringify(body), signal: context.signal, raw: body.stream === true
      }), { signal: request.abortSignal, reply, backoffMs: 1, maxAttempts: 8, onAttempts: (ledger) => ledgers.push(ledger) })
      if (result.stream !== undefined) return reply.header('content-type', 'text/event-stream').send(result.stream)
      return result.body
    })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await app.close(); upstream.closeAllConnections(); upstream.close() })
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, calls, ledgers, events }
}

const ask = (model: string, stream = false) => ({ model, messages: [{ role: 'user' as const, content: 'Hello' }], stream })

t.test('over plain HTTP: attempt headers, the ledger in the body, valid against the schema', async (t) => {
  const { url, calls, events, ledgers } = await start(t)
  const post = (model: string) => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: json, body: JSON.stringify(ask(model)) })
  const served = await post('fallback')
  t.equal(served.status, 200)
  t.equal(served.headers.get('x-gateway-attempts'), '4')
  t.equal(served.headers.get('x-gateway-fallbacks'), '1')
  t.same(calls, { down: 3, ok: 1 }, 'an overloaded provider (model_unavailable) is retried twice, then the next one serves')

  const failed = await post('all-fail')
  const body = await failed.json() as { error: { code: string, details: { attempts: AttemptRecord[] } } }
  t.equal(failed.status, 429, 'the provider fault with the soonest stated wait')
  t.equal(body.error.code, 'rate_limit_exceeded')
  t.equal(failed.headers.get('retry-after-ms'), '5', 'its wait, in the headers')
  t.equal(failed.headers.get('x-gateway-attempts'), '6')
  t.match(body.error.details.attempts, [
    { provider: 'down', code: 'model_unavailable', status: 503, decision: 'retried' },
    { provider: 'down', decision: 'retried' },
    { provider: 'down', decision: 'fell_back' },
    { provider: 'limited', code: 'rate_limit_exceeded', status: 429, wait_ms: 5, decision: 'retried' },
    { provider: 'limited', decision: 'retried' },
    { provider: 'limited', decision: 'fell_back' }
  ])
  t.equal(validateBody('openai', 'rate_limit_exceeded', body), null, 'valid against the published schema, attempts included')
  t.same(events.at(-1)?.attempts, body.error.details.attempts, 'onGatewayError gets the same ledger')
  t.match(ledgers[0], [{ provider: 'down' }, {}, {}, { provider: 'ok', decision: 'succeeded' }], 'onAttempts had the success after failures')

  const invalid = await post('invalid')
  t.equal(invalid.status, 400)
  t.equal(((await invalid.json()) as { error: { code: string } }).error.code, 'invalid_parameter_value')
  t.equal(calls.ok, 1, 'a request the caller must fix is not sent to the next provider')
})

t.test('the openai SDK, the Anthropic SDK and the AI SDK: class, code and the ledger', async (t) => {
  const { url, calls } = await start(t)
  const openai = new OpenAI({ apiKey: 'k', baseURL: `${url}/v1`, maxRetries: 0 })
  const ok = await openai.chat.completions.create(ask('fallback') as never) as OpenAI.ChatCompletion
  t.equal(ok.choices[0]?.message.content, 'served by ok')
  const error = await openai.chat.completions.create(ask('all-fail') as never).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>
  t.ok(error instanceof OpenAI.RateLimitError)
  t.equal(error.code, 'rate_limit_exceeded')
  t.equal((error.error as { details: { attempts: AttemptRecord[] } }).details.attempts.length, 6, 'openai: err.error.details.attempts')

  const anthropic = new Anthropic({ apiKey: 'k', baseURL: url, maxRetries: 0 })
  const message = await anthropic.messages.create({ model: 'fallback', max_tokens: 10, messages: [{ role: 'user', content: 'Hello' }] })
  t.match(message.content, [{ type: 'text', text: 'served by ok' }])
  const refused = await anthropic.messages.create({ model: 'invalid', max_tokens: 10, messages: [{ role: 'user', content: 'Hello' }] }).catch((e: unknown) => e) as InstanceType<typeof Anthropic.APIError> & { errorCode: string }
  t.ok(refused instanceof Anthropic.BadRequestError)
  t.equal(refused.errorCode, 'invalid_parameter_value')
  t.match(refused.error, { error: { details: { attempts: [{ provider: 'invalid', decision: 'stopped' }] } } }, 'anthropic: err.error.error.details.attempts')

  const demo = createOpenAICompatible({ name: 'demo', baseURL: `${url}/v1`, apiKey: 'k' })
  const aiError = await generateText({ model: demo.chatModel('all-fail'), prompt: 'Hello', maxRetries: 0 }).catch((e: unknown) => e)
  t.ok(APICallError.isInstance(aiError))
  const aiBody = JSON.parse(String((aiError as APICallError).responseBody)) as { error: { code: string, details: { attempts: unknown[] } } }
  t.equal(aiBody.error.code, 'rate_limit_exceeded')
  t.equal(aiBody.error.details.attempts.length, 6, 'AI SDK: JSON.parse(err.responseBody).error.details.attempts')
  t.ok(calls.limited !== undefined)
})

t.test('streams: a failure before the first byte falls back unseen; after it, the error event, never another provider', async (t) => {
  const { url, calls } = await start(t)
  const openai = new OpenAI({ apiKey: 'k', baseURL: `${url}/v1`, maxRetries: 0 })
  let text = ''
  for await (const part of await openai.chat.completions.create({ ...ask('stream-fallback', true), stream: true } as never) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) {
    text += part.choices[0]?.delta.content ?? ''
  }
  t.equal(text, 'second provider', 'only the stream that worked')
  t.equal(calls['fails-first'], 3, 'the failed first event: a failed attempt (retried as upstream_error)')

  text = ''
  const midway = await (async () => {
    for await (const part of await openai.chat.completions.create({ ...ask('stream-midway', true), stream: true } as never) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) {
      text += part.choices[0]?.delta.content ?? ''
    }
  })().catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>
  t.equal(text, 'first ', 'the first provider\'s tokens only')
  t.ok(midway instanceof OpenAI.APIError, 'then the catalog error event')
  t.equal(calls['ok-stream'], 1, 'the healthy stream was not called for the midway failure')
})
