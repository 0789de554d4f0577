// `reply.send(readable)` of an event stream whose source fails midway, read by the openai SDK, the
// Anthropic SDK and the AI SDK: one SSE error event in the route's envelope, no [DONE], one
// onGatewayError call; a source that fails before its first byte is an ordinary error reply.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import Anthropic from '@anthropic-ai/sdk'
import { streamText } from 'ai'
import type { AddressInfo } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import OpenAI from 'openai'
import t from 'tap'
import { GatewayError, type GatewayErrorEvent } from '../internals'
import { buildApp, validateBody } from '../helpers'

const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
const anthropicEvents = [
  `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 0 } } })}\n\n`,
  `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}\n\n`,
  `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } })}\n\n`
]

function failingSource (frames: string[], failure: unknown): Readable {
  return Readable.from((async function * () {
    for (const frame of frames) {
      yield frame
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    throw failure
  })())
}

async function start (t: { teardown: (fn: () => unknown) => void }) {
  const events: GatewayErrorEvent[] = []
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.post('/v1/chat/completions', async (request, reply) => {
      const failure = (request.headers['x-failure'] === 'plain') ? new Error('socket hang up at 10.0.0.3') : new GatewayError('upstream_error', { provider: 'acme' })
      const frames = request.headers['x-before-first'] === 'yes' ? [] : [chunk('Hello'), chunk(' world')]
      return reply.header('content-type', 'text/event-stream').send(failingSource(frames, failure))
    })
    app.post('/v1/messages', { config: { gatewayErrors: { envelope: 'anthropic' } } }, async (_request, reply) =>
      reply.header('content-type', 'text/event-stream').send(failingSource(anthropicEvents, new GatewayError('model_unavailable', { provider: 'acme' }))))
    app.post('/v1/gone', async (_request, reply) =>
      reply.header('content-type', 'text/event-stream').send(failingSource([chunk('Hi')], new GatewayError('client_disconnected' as never))))
    app.post('/v1/text', async (_request, reply) => reply.header('content-type', 'text/plain').send(Readable.from(['plain ', 'text'])))
    app.post('/v1/ok', async (_request, reply) =>
      reply.header('content-type', 'text/event-stream').send(Readable.from([chunk('Hi'), 'data: [DONE]\n\n'])))
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, events }
}

t.test('over plain HTTP: the stream ends with one error event, no [DONE]', async (t) => {
  const { url, events } = await start(t)
  for (const [failure, code] of [['gateway', 'upstream_error'], ['plain', 'internal_error']]) {
    const before = events.length
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'x-failure': failure as string } })
    t.equal(res.status, 200)
    t.match(res.headers.get('content-type'), /^text\/event-stream/)
    const text = await res.text()
    const frames = text.split('\n\n').filter(Boolean)
    t.equal(frames.length, 3, `${failure}: two chunks and one error event`)
    t.notMatch(text, '[DONE]')
    t.notMatch(text, '10.0.0.3', 'the cause is not echoed')
    const error = JSON.parse((frames[2] as string).replace(/^data: /, ''))
    t.equal(error.error.code, code)
    t.equal(validateBody('openai', code as 'upstream_error', error), null)
    t.same(events.slice(before).map((e) => e.code), [code], 'onGatewayError called once')
  }
  const early = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'x-before-first': 'yes' } })
  t.equal(early.status, 502, 'a source that fails before its first byte: an ordinary error reply')
  t.equal(((await early.json()) as { error: { code: string } }).error.code, 'upstream_error')
  t.equal(early.headers.get('x-should-retry'), 'true')
  const before = events.length
  const gone = await fetch(`${url}/v1/gone`, { method: 'POST' })
  t.equal(await gone.text(), chunk('Hi'), 'a source that reports its client gone: the stream just ends')
  t.same(events.slice(before).map((e) => e.code), ['client_disconnected'])
  t.equal(await (await fetch(`${url}/v1/text`, { method: 'POST' })).text(), 'plain text', 'other streams are not touched')
  const ok = await fetch(`${url}/v1/ok`, { method: 'POST' })
  t.equal(await ok.text(), `${chunk('Hi')}data: [DONE]\n\n`, 'a healthy stream is untouched')
})

t.test('openai SDK: APIError with the catalog code', async (t) => {
  const { url, events } = await start(t)
  const client = new OpenAI({ baseURL: url + '/v1', apiKey: 'k', maxRetries: 0 })
  const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], stream: true })
  let text = ''
  const error = await (async () => { for await (const part of stream) text += part.choices[0]?.delta?.content ?? '' })().then(() => undefined, (e: unknown) => e)
  t.equal(text, 'Hello world', 'the stream had started')
  t.ok(error instanceof OpenAI.APIError)
  t.equal((error as InstanceType<typeof OpenAI.APIError>).code, 'upstream_error')
  t.same(events.map((e) => e.code), ['upstream_error'])
})

t.test('Anthropic SDK: the route\'s envelope, errorCode and type', async (t) => {
  const { url, events } = await start(t)
  const client = new Anthropic({ baseURL: url, apiKey: 'k', maxRetries: 0 })
  const stream = client.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })
  let text = ''
  stream.on('text', (delta) => { text += delta })
  const error = await stream.finalMessage().then(() => undefined, (e: unknown) => e) as InstanceType<typeof Anthropic.APIError> & { errorCode?: string }
  t.equal(text, 'Hello', 'the stream had started')
  t.ok(error instanceof Anthropic.APIError)
  t.equal(error.errorCode, 'model_unavailable')
  t.equal((error.error as { error?: { type?: string } }).error?.type, 'overloaded_error')
  t.same(events.map((e) => e.code), ['model_unavailable'])
})

t.test('AI SDK: streamText reports the error part', async (t) => {
  const { url } = await start(t)
  const provider = createOpenAICompatible({ name: 'gw', baseURL: url + '/v1', apiKey: 'k' })
  const errors: unknown[] = []
  const result = streamText({ model: provider.chatModel('m'), prompt: 'Hi', maxRetries: 0, onError: ({ error }) => { errors.push(error) } })
  let text = ''
  for await (const delta of result.textStream) text += delta
  t.equal(text, 'Hello world')
  t.equal(errors.length, 1, 'one error')
  t.match(JSON.stringify(errors[0]), /upstream_error|invalid or unparseable/, 'the catalog error reached the caller')
})

t.test('a stream sent from a hook, or wrapped by a later onSend hook, is guarded too', async (t) => {
  const app = await buildApp({}, async (app) => {
    app.register(async (scope) => {
      scope.addHook('preHandler', async (_request, reply) =>
        reply.header('content-type', 'text/event-stream').send(failingSource([chunk('Hi')], new GatewayError('upstream_timeout'))))
      scope.post('/v1/from-hook', async () => ({ never: true }))
    })
    app.register(async (scope) => {
      // what a compression or metrics hook does: pipes the payload into a stream of its own
      scope.addHook('onSend', async (_request, _reply, payload) => {
        if (!(payload instanceof Readable)) return payload
        const wrapper = new PassThrough()
        payload.on('error', (error) => wrapper.destroy(error))
        return payload.pipe(wrapper)
      })
      scope.post('/v1/wrapped', async (_request, reply) =>
        reply.header('content-type', 'text/event-stream').send(failingSource([chunk('Hi')], new GatewayError('upstream_error'))))
    })
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  for (const [path, code] of [['/v1/from-hook', 'upstream_timeout'], ['/v1/wrapped', 'upstream_error']] as const) {
    const res = await fetch(url + path, { method: 'POST' })
    t.equal(res.status, 200, path)
    const frames = (await res.text()).split('\n\n').filter(Boolean)
    t.equal(frames.length, 2, `${path}: the chunk and one error event`)
    const error = JSON.parse((frames[1] as string).replace(/^data: /, ''))
    t.equal(error.error.code, code, path)
    t.equal(validateBody('openai', code, error), null)
  }
})
