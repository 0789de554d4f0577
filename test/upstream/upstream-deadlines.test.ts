// fetchUpstream's three deadlines over real sockets: the answer (headers, and a stream's first
// event) within timeoutMs; no silence longer than idleTimeoutMs once it has begun; an optional cap
// on the whole. A healthy stream is never cut however long it lasts; a stalled one ends with one
// upstream_timeout event that each client SDK reads, and the provider's connection is closed.
// And what a stream delivered (events, bytes, time to first event, usage), for billing.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import Anthropic from '@anthropic-ai/sdk'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { streamText } from 'ai'
import Fastify, { type FastifyInstance } from 'fastify'
import OpenAI from 'openai'
import t, { type Test as Tap } from 'tap'
import gatewayErrors, { fetchUpstream, GatewayError, type GatewayErrorEvent } from '../internals'
import type { StreamDelivery } from '../../lib/upstream/events'

const sse = { 'content-type': 'text/event-stream' }
const openaiChunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`
const anthropicEvent = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`
const anthropicStart = anthropicEvent('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } } }) +
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
const anthropicDelta = (text: string) => anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })

interface Provider { url: string, closed: string[], close: () => void }

/** A provider whose behaviour is the request path: /tick/N/MS, /stall/N, /headers-only, /json-trickle/MS, /json-stall. */
async function provider (t: Tap): Promise<Provider> {
  const closed: string[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const [, kind, a = '0', b = '0'] = (req.url as string).split('/')
    res.on('close', () => closed.push(kind as string))
    const anthropic = req.headers['x-format'] === 'anthropic'
    const event = (i: number) => anthropic ? anthropicDelta(`t${i} `) : openaiChunk(`t${i} `)
    if (kind === 'tick' || kind === 'stall') {
      res.writeHead(200, sse)
      if (anthropic) res.write(anthropicStart)
      let i = 0
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        res.write(event(i++))
        if (kind === 'stall' && i === Number(a)) clearInterval(timer) // then silence, connection open
        if (kind === 'tick' && i === Number(a)) {
          clearInterval(timer)
          res.end(anthropic
            ? anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: i } }) + anthropicEvent('message_stop', {})
            : `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 7, completion_tokens: i, total_tokens: 7 + i } })}\n\ndata: [DONE]\n\n`)
        }
      }, Number(b))
      return
    }
    if (kind === 'burst') {
      // 2 MB at once, then the last event after a pause: more than a slow client's buffers hold
      res.writeHead(200, sse)
      for (let i = 0; i < 8000; i++) res.write(event(i))
      setTimeout(() => res.end('data: [DONE]\n\n'), Number(a))
      return
    }
    if (kind === 'headers-only') return res.writeHead(200, sse).flushHeaders()
    if (kind === 'silent') return // no headers at all
    if (kind === 'json-trickle' || kind === 'json-stall') {
      const body = JSON.stringify({ id: 'x', choices: [{ message: { content: 'y'.repeat(50) } }] })
      res.writeHead(200, { 'content-type': 'application/json' })
      let at = 0
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        res.write(body.slice(at, at + 10))
        at += 10
        if (kind === 'json-stall' && at >= 30) return clearInterval(timer)
        if (at >= body.length) { clearInterval(timer); res.end() }
      }, Number(a) || 100)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = () => { server.closeAllConnections(); server.close() }
  t.teardown(close)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed, close }
}

/** A provider's body that sends `chunks`, one per read. */
function providerBody (chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({ pull (controller) { const next = chunks.shift(); if (next === undefined) controller.close(); else controller.enqueue(new TextEncoder().encode(next)) } })
}

const codeOf = (error: unknown) => (error as GatewayError | undefined)?.code

interface Gateway { url: string, events: GatewayErrorEvent[], delivered: StreamDelivery[] }

/** An app proxying the provider with fetchUpstream: what onGatewayError and each stream's delivered promise saw. */
async function gateway (t: Tap, base: string, options: { idleTimeoutMs?: number | false, totalTimeoutMs?: number }): Promise<Gateway> {
  const events: GatewayErrorEvent[] = []
  const delivered: StreamDelivery[] = []
  // forceCloseConnections: a client that aborted may leave a spare connection that has sent no request
  const app: FastifyInstance = Fastify({ forceCloseConnections: true })
  await app.register(gatewayErrors, { onGatewayError: (event) => { events.push(event) } })
  const forward = async (request: { headers: Record<string, unknown>, abortSignal: AbortSignal }, reply: { header: (k: string, v: string) => unknown, send: (s: unknown) => unknown }) => {
    const path = String(request.headers['x-upstream'])
    const result = await fetchUpstream(`${base}${path}`, {
      provider: 'p', timeoutMs: 1000, ...options, raw: true, signal: request.abortSignal, headers: { 'x-format': String(request.headers['x-format'] ?? 'openai') }
    })
    result.delivered?.then((record) => delivered.push(record), () => {})
    reply.header('content-type', 'text/event-stream')
    return reply.send(result.stream)
  }
  app.post('/v1/chat/completions', forward as never)
  app.post('/v1/messages', { config: { gatewayErrors: { envelope: 'anthropic' } } }, async (request, reply) => {
    request.headers['x-format'] = 'anthropic'
    return forward(request as never, reply as never)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, events, delivered }
}

t.test('a healthy stream longer than timeoutMs is never cut; its delivery is recorded', async (t) => {
  const upstream = await provider(t)
  const started = performance.now()
  const { stream, delivered } = await fetchUpstream(`${upstream.url}/tick/50/100`, { provider: 'p', timeoutMs: 1000, idleTimeoutMs: 500, raw: true })
  let text = ''
  for await (const part of stream as AsyncIterable<Buffer>) text += String(part)
  t.ok(performance.now() - started >= 4900, `the stream ran ${Math.round(performance.now() - started)} ms, five times timeoutMs`)
  t.equal(text.match(/"t\d+ "/g)?.length, 50, 'all 50 events arrived')
  t.match(text, /data: \[DONE\]\n\n$/, 'to the end')
  const record = await delivered as StreamDelivery
  t.match(record, { provider: 'p', outcome: 'completed', errorCode: undefined, events: 52, bytes: Buffer.byteLength(text), usage: { inputTokens: 7, outputTokens: 50, totalTokens: 57 } })
  t.ok(record.timeToFirstEventMs > 50 && record.timeToFirstEventMs < 1000, `time to first event ${Math.round(record.timeToFirstEventMs)} ms`)
  t.ok(record.durationMs >= 4900, 'its duration')
})

t.test('a JSON reply whose body keeps coming is read past timeoutMs; one that stalls is upstream_timeout', async (t) => {
  const upstream = await provider(t)
  const { body } = await fetchUpstream(`${upstream.url}/json-trickle/100`, { provider: 'p', timeoutMs: 300, idleTimeoutMs: 250 })
  t.match(body, { id: 'x' }, 'a body trickled over ~800 ms, with timeoutMs 300')
  const stalled = await fetchUpstream(`${upstream.url}/json-stall/50`, { provider: 'p', timeoutMs: 1000, idleTimeoutMs: 200 }).then(() => undefined, (e: unknown) => e)
  t.equal(codeOf(stalled), 'upstream_timeout', 'a body that stops')
  t.equal(((stalled as GatewayError).details as { timeout_ms?: number }).timeout_ms, 200, 'the deadline it missed')
  const capped = await fetchUpstream(`${upstream.url}/json-trickle/100`, { provider: 'p', timeoutMs: 300, totalTimeoutMs: 400 }).then(() => undefined, (e: unknown) => e)
  t.equal(codeOf(capped), 'upstream_timeout', 'totalTimeoutMs caps the whole exchange')
  t.equal(((capped as GatewayError).details as { timeout_ms?: number }).timeout_ms, 400)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(upstream.closed.filter((kind) => kind === 'json-stall').length === 1, 'the stalled provider\'s connection was closed')
})

t.test('no answer within timeoutMs: upstream_timeout, before any byte is forwarded', async (t) => {
  const upstream = await provider(t)
  for (const path of ['/silent', '/headers-only']) {
    const started = performance.now()
    const error = await fetchUpstream(`${upstream.url}${path}`, { provider: 'p', timeoutMs: 300, raw: true }).then(() => undefined, (e: unknown) => e)
    const elapsed = performance.now() - started
    t.equal(codeOf(error), 'upstream_timeout', `${path}: upstream_timeout`)
    t.same((error as GatewayError).details, { provider: 'p', timeout_ms: 300 }, `${path}: the deadline it missed`)
    t.ok(elapsed >= 290 && elapsed < 1000, `${path}: after ${Math.round(elapsed)} ms`)
  }
  const { url, events } = await gateway(t, upstream.url, {})
  const response = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'x-upstream': '/headers-only', 'content-type': 'application/json' }, body: '{}' })
  t.equal(response.status, 504, 'headers and then nothing: a 504, not a started stream')
  t.equal(response.headers.get('x-should-retry'), 'true')
  t.match(await response.json(), { error: { code: 'upstream_timeout' } })
  t.match(events, [{ code: 'upstream_timeout', status: 504 }], 'recorded once, with no delivery: nothing was forwarded')
  t.equal(events[0]?.delivery, undefined)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(upstream.closed.includes('headers-only'), 'the provider\'s connection was closed')
})

t.test('a stream that stalls ends with one upstream_timeout event, read by the openai, Anthropic and AI SDKs', async (t) => {
  const upstream = await provider(t)
  const { url, events, delivered } = await gateway(t, upstream.url, { idleTimeoutMs: 300 })
  const headers = { 'x-upstream': '/stall/3/20' }

  const raw = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })
  t.equal(raw.status, 200)
  const blocks = (await raw.text()).trim().split('\n\n')
  t.equal(blocks.length, 4, 'three events, then one more')
  t.match(blocks[3], /^data: \{"error":\{.*"code":"upstream_timeout"/, 'the catalog event in the OpenAI envelope')
  t.notMatch(blocks.join(''), /\[DONE\]/)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(upstream.closed.filter((kind) => kind === 'stall').length, 1, 'the stalled provider\'s connection was closed')
  t.equal(events.length, 1, 'recorded once')
  t.match(events[0], { code: 'upstream_timeout', status: 504, delivery: { outcome: 'failed', errorCode: 'upstream_timeout', events: 3 } })
  t.match(delivered, [{ outcome: 'failed', errorCode: 'upstream_timeout', events: 3 }], 'the delivered promise says the same')

  const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'k', maxRetries: 0 })
  let text = ''
  const viaOpenai = await (async () => {
    const stream = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }, { headers })
    for await (const part of stream) text += part.choices[0]?.delta?.content ?? ''
  })().then(() => undefined, (e: unknown) => e)
  t.ok(viaOpenai instanceof OpenAI.APIError, 'openai: APIError')
  t.equal((viaOpenai as InstanceType<typeof OpenAI.APIError>).code, 'upstream_timeout', 'openai: with the code')
  t.equal(text, 't0 t1 t2 ', 'openai: after the text that came')

  const anthropic = new Anthropic({ baseURL: url, apiKey: 'k', maxRetries: 0 })
  let anthropicText = ''
  const viaAnthropic = await (async () => {
    const stream = anthropic.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers })
    stream.on('text', (delta) => { anthropicText += delta })
    await stream.finalMessage()
  })().then(() => undefined, (e: unknown) => e)
  t.ok(viaAnthropic instanceof Anthropic.APIError, 'anthropic: APIError')
  t.match(JSON.stringify((viaAnthropic as { error?: unknown }).error), 'upstream_timeout', 'anthropic: with the code')
  t.equal(anthropicText, 't0 t1 t2 ', 'anthropic: after the text that came')

  const demo = createOpenAICompatible({ name: 'demo', baseURL: `${url}/v1`, apiKey: 'k', headers })
  const result = streamText({ model: demo.chatModel('m'), prompt: 'hi', maxRetries: 0, onError: () => {} })
  const errors: unknown[] = []
  let aiText = ''
  for await (const part of result.fullStream) {
    if (part.type === 'error') errors.push(part.error)
    if (part.type === 'text-delta') aiText += part.text
  }
  t.equal(errors.length, 1, 'AI SDK: one error part')
  t.match(String((errors[0] as Error).message), /deadline/, 'AI SDK: the catalog message')
  t.equal(aiText, 't0 t1 t2 ', 'AI SDK: after the text that came')
})

t.test('idleTimeoutMs: false waits; totalTimeoutMs cuts even a healthy stream', async (t) => {
  const upstream = await provider(t)
  const { stream } = await fetchUpstream(`${upstream.url}/tick/4/300`, { provider: 'p', timeoutMs: 1000, idleTimeoutMs: false, raw: true })
  let text = ''
  for await (const part of stream as AsyncIterable<Buffer>) text += String(part)
  t.match(text, /\[DONE\]/, 'no idle deadline: slow events are waited for')
  const capped = await fetchUpstream(`${upstream.url}/tick/20/50`, { provider: 'p', timeoutMs: 1000, totalTimeoutMs: 400, raw: true })
  const error = await (async () => { for await (const part of capped.stream as AsyncIterable<Buffer>) if (part === undefined) break })().then(() => undefined, (e: unknown) => e)
  t.equal(codeOf(error), 'upstream_timeout', 'the total cap')
  t.match(await capped.delivered, { outcome: 'failed', errorCode: 'upstream_timeout' })
  const early = await fetchUpstream(`${upstream.url}/silent`, { provider: 'p', timeoutMs: 1000, totalTimeoutMs: 200 }).then(() => undefined, (e: unknown) => e)
  t.same((early as GatewayError).details, { provider: 'p', timeout_ms: 200 }, 'the cap, before the answer deadline')
})

t.test('a client that leaves midway: client_disconnected with what was delivered; the provider is closed', async (t) => {
  const upstream = await provider(t)
  const { url, events, delivered } = await gateway(t, upstream.url, { idleTimeoutMs: 2000 })
  for (const [path, format] of [['/v1/chat/completions', 'openai'], ['/v1/messages', 'anthropic']]) {
    events.length = 0
    delivered.length = 0
    const controller = new AbortController()
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'x-upstream': '/tick/100/30', 'content-type': 'application/json' }, body: '{}', signal: controller.signal })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    let received = ''
    while ((received.match(/"t\d+ "/g)?.length ?? 0) < 5) received += new TextDecoder().decode((await reader.read()).value)
    controller.abort()
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.equal(events.length, 1, `${format}: recorded once`)
    const event = events[0] as GatewayErrorEvent
    t.equal(event.code, 'client_disconnected')
    t.equal(event.delivery?.outcome, 'client_disconnected')
    t.ok((event.delivery?.events ?? 0) >= 5 && (event.delivery?.events ?? 0) < 20, `${format}: ${event.delivery?.events} events delivered when the client left`)
    t.match(delivered, [{ outcome: 'client_disconnected', errorCode: undefined }], `${format}: the delivered promise`)
    const record = delivered[0] as StreamDelivery
    t.ok(record.events >= (event.delivery?.events ?? 0), 'the final record counts at least as many')
    if (format === 'anthropic') t.match(record.usage, { inputTokens: 12 }, 'anthropic: the input tokens message_start reported')
    t.ok(upstream.closed.filter((kind) => kind === 'tick').length >= 1, `${format}: the provider's connection was closed`)
  }
})

t.test('the delivery record of a stream the gateway stops reading, and of a live one', async (t) => {
  const upstream = await provider(t)
  const { stream, delivered } = await fetchUpstream(`${upstream.url}/tick/100/20`, { provider: 'p', timeoutMs: 1000, raw: true })
  const live = stream?.delivery()
  t.match(live, { outcome: 'streaming', events: 1 }, 'the first event, read before fetchUpstream resolved')
  for await (const part of stream as AsyncIterable<Buffer>) if (String(part).includes('t3 ')) break
  t.match(await delivered, { outcome: 'cancelled', errorCode: undefined }, 'the gateway stopped reading')
  t.match(stream?.delivery('client_disconnected'), { outcome: 'cancelled' }, 'an ended stream keeps its outcome')
})

t.test('usage in each provider\'s shape; a fetch of your own that rejects in its own words', async (t) => {
  const gemini = (n: number) => `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: `t${n}` }] } }], usageMetadata: { promptTokenCount: 4, candidatesTokenCount: n, totalTokenCount: 4 + n } })}\n\n`
  const cases: Array<[string, string[], object | undefined]> = [
    ['gemini, cumulative in every chunk', [gemini(1), gemini(2), gemini(3), gemini(4)], { inputTokens: 4, outputTokens: 4, totalTokens: 8 }],
    ['openai, usage null until the end', ['data: {"choices":[],"usage":null}\n\n', 'data: 1\n\n', 'data: [DONE]\n\n'], undefined],
    ['odd values are ignored', ['data: {"usage":{"prompt_tokens":-1,"completion_tokens":"3"}}\n\ndata: not json, usage\n\ndata: "usage"\n\n'], undefined]
  ]
  for (const [label, chunks, usage] of cases) {
    const { stream, delivered } = await fetchUpstream('http://provider.test/', { provider: 'p', timeoutMs: 1000, raw: true, fetch: async () => new Response(providerBody(chunks), { headers: sse }) })
    for await (const part of stream as AsyncIterable<Buffer>) if (part === undefined) break
    t.same((await delivered)?.usage, usage, label)
  }
  const ownWords = (signal: AbortSignal) => new Promise<Response>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted, in its own words'))))
  const timedOut = await fetchUpstream('http://provider.test/', { provider: 'p', timeoutMs: 100, fetch: async (_url, init) => ownWords(init?.signal as AbortSignal) }).then(() => undefined, (e: unknown) => e)
  t.same([codeOf(timedOut), (timedOut as GatewayError).details], ['upstream_timeout', { provider: 'p', timeout_ms: 100 }], 'a timeout, whatever the fetch says')
  const gone = await fetchUpstream('http://provider.test/', { provider: 'p', timeoutMs: 1000, signal: AbortSignal.abort(), fetch: async (_url, init) => { if (init?.signal?.aborted === true) throw new Error('aborted'); return new Response('{}') } }).then(() => undefined, (e: unknown) => e)
  t.equal(codeOf(gone), 'client_disconnected', 'a caller\'s signal aborted before the call')
})

t.test('a provider body that fails when the call is aborted: the client leaving, the gateway giving up', async (t) => {
  const abortable = (signal: AbortSignal) => new ReadableStream<Uint8Array>({
    start (controller) {
      controller.enqueue(new TextEncoder().encode('data: {"text":"an error, in words"}\n\ndata: [DONE]\n\n'.slice(0, 38)))
      signal.addEventListener('abort', () => controller.error(new Error('aborted')))
    }
  })
  const open = (signal?: AbortSignal) => fetchUpstream('http://provider.test/', { provider: 'p', timeoutMs: 1000, raw: true, signal, fetch: async (_url, init) => new Response(abortable(init?.signal as AbortSignal), { headers: sse }) })
  const client = new AbortController()
  const left = await open(client.signal)
  const reading = (async () => { for await (const part of left.stream as AsyncIterable<Buffer>) if (part === undefined) break })().then(() => undefined, (e: unknown) => e)
  setTimeout(() => client.abort(), 20)
  t.equal(codeOf(await reading), 'client_disconnected', 'the client left: client_disconnected')
  t.match(await left.delivered, { outcome: 'client_disconnected', errorCode: undefined, events: 1 })
  const stopped = await open()
  stopped.stream?.destroy()
  t.match(await stopped.delivered, { outcome: 'cancelled', events: 1 }, 'the gateway destroyed the stream')
  const deaf = new ReadableStream<Uint8Array>({ start (controller) { controller.enqueue(new TextEncoder().encode('data: 1\n\n')) }, pull: () => new Promise(() => {}) })
  const waiting = await fetchUpstream('http://provider.test/', { provider: 'p', timeoutMs: 1000, raw: true, fetch: async () => new Response(deaf, { headers: sse }) })
  waiting.stream?.read()
  await new Promise((resolve) => setImmediate(resolve))
  waiting.stream?.destroy()
  t.match(await waiting.delivered, { outcome: 'cancelled', events: 1 }, 'destroyed while a read was waiting on a body that ignores the abort')
  const words = await fetchUpstream('http://provider.test/', { provider: 'p', timeoutMs: 1000, raw: true, fetch: async () => new Response('data: {"text":"error"}\n\ndata: [DONE]\n\n', { headers: sse }) })
  let text = ''
  for await (const part of words.stream as AsyncIterable<Buffer>) text += String(part)
  t.equal(text, 'data: {"text":"error"}\n\ndata: [DONE]\n\n', 'the word error in a model\'s text, then [DONE]: forwarded as sent')
})

t.test('events are counted however the provider writes them', async (t) => {
  const cases: Array<[string, string[], number]> = [
    ['tiny events, thick in one chunk', ['data: 1\n\n'.repeat(500)], 500],
    ['tiny events after a long first one', [`data: ${'x'.repeat(600)}\n\n`, 'data: 1\n\n'.repeat(100) + 'data: 2\n'], 102],
    ['CRLF events', ['data: 1\r\n\r\n', 'data: 2\r\n\r\ndata: 3\r\n\r\n'], 3],
    ['a line end at the end of a chunk', ['data: 1\n\ndata: 2\n', '\n'], 2],
    ['a blank line split over three chunks', ['data: 1', '\n', '\ndata: 2'], 2]
  ]
  for (const [label, chunks, events] of cases) {
    const { stream, delivered } = await fetchUpstream('http://provider.test/', { provider: 'p', timeoutMs: 1000, raw: true, fetch: async () => new Response(providerBody(chunks), { headers: sse }) })
    let bytes = 0
    for await (const part of stream as AsyncIterable<Buffer>) bytes += part.length
    t.match(await delivered, { outcome: 'completed', events, bytes }, label)
  }
})

t.test('deadlines a timer cannot wait are refused, naming the option', async (t) => {
  const call = (options: Record<string, unknown>) => fetchUpstream('http://provider.test/', { provider: 'p', timeoutMs: 1000, ...options, fetch: async () => new Response('{}') }).then(() => undefined, (e: unknown) => e)
  for (const [options, name] of [[{ timeoutMs: 0 }, 'timeoutMs'], [{ timeoutMs: Number.NaN }, 'timeoutMs'], [{ timeoutMs: 2 ** 31 }, 'timeoutMs'], [{ idleTimeoutMs: -1 }, 'idleTimeoutMs'], [{ idleTimeoutMs: true }, 'idleTimeoutMs'], [{ totalTimeoutMs: '5' }, 'totalTimeoutMs']] as const) {
    const error = await call(options)
    t.ok(error instanceof TypeError, `${JSON.stringify(options)}: a TypeError`)
    t.match((error as Error).message, new RegExp(`^fastify-gateway-errors: fetchUpstream: ${name} must be`), 'naming the option')
  }
  t.equal(await call({ idleTimeoutMs: false, totalTimeoutMs: 5000 }), undefined, 'false and a cap are fine')
})

t.test('through the plugin, a 3 s stream fetched with timeoutMs 1000 reaches the openai and Anthropic SDKs whole', async (t) => {
  const upstream = await provider(t)
  const { url, events, delivered } = await gateway(t, upstream.url, { idleTimeoutMs: 500 })
  const headers = { 'x-upstream': '/tick/30/100' }
  const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'k', maxRetries: 0 })
  const anthropic = new Anthropic({ baseURL: url, apiKey: 'k', maxRetries: 0 })
  const [openaiText, message] = await Promise.all([
    (async () => {
      let text = ''
      const stream = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }, { headers })
      for await (const part of stream) text += part.choices[0]?.delta?.content ?? ''
      return text
    })(),
    anthropic.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers }).finalMessage()
  ])
  const expected = Array.from({ length: 30 }, (_, i) => `t${i} `).join('')
  t.equal(openaiText, expected, 'openai: every token')
  t.equal((message.content[0] as { text: string }).text, expected, 'anthropic: every token')
  t.equal(message.usage.output_tokens, 30)
  t.same(events, [], 'no error recorded')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.match(delivered.map((d) => d.outcome), ['completed', 'completed'])
  t.same(delivered.map((d) => d.usage?.outputTokens).sort(), [30, 30], 'each with the provider\'s count')
})

t.test('onStreamEnd: once per provider stream, whichever way it ends, with its request', async (t) => {
  const upstream = await provider(t)
  const ended: Array<{ requestId: string, method: string, route: string | undefined, delivery: StreamDelivery }> = []
  const app = Fastify({ forceCloseConnections: true })
  let throwFromHook = false
  await app.register(gatewayErrors, {
    onStreamEnd: (event) => {
      ended.push(event)
      if (throwFromHook) throw new Error('a billing bug')
    }
  })
  app.post('/v1/chat/completions', async (request, reply) => {
    const { stream } = await fetchUpstream(`${upstream.url}${String(request.headers['x-upstream'])}`, { provider: 'p', timeoutMs: 1000, idleTimeoutMs: 300, raw: true, signal: request.abortSignal })
    return reply.header('content-type', 'text/event-stream').send(stream)
  })
  app.get('/plain-stream', async (_request, reply) => reply.header('content-type', 'text/event-stream').send(Readable.from(['data: 1\n\n'])))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const post = (path: string) => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'x-upstream': path, 'content-type': 'application/json' }, body: '{}' })
  const done = await post('/tick/5/10')
  await done.text()
  const stalled = await post('/stall/2/10')
  await stalled.text()
  throwFromHook = true
  const third = await post('/tick/3/10')
  await third.text()
  await (await fetch(`${url}/plain-stream`)).text()
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.match(ended.map((event) => [event.method, event.route, event.delivery.outcome, event.delivery.errorCode, event.delivery.events]), [
    ['POST', '/v1/chat/completions', 'completed', undefined, 7],
    ['POST', '/v1/chat/completions', 'failed', 'upstream_timeout', 2],
    ['POST', '/v1/chat/completions', 'completed', undefined, 5]
  ], 'one call per provider stream, none for a stream of the route\'s own')
  t.equal(ended[0]?.requestId, done.headers.get('x-request-id'), 'with the request id the client saw')
  t.match(ended[0]?.delivery.usage, { outputTokens: 5 })
  t.equal(third.status, 200, 'a hook that throws is logged; the reply is not affected')
})

t.test('a consumer that stops reading for longer than idleTimeoutMs: not the provider\'s silence, nothing is cut', async (t) => {
  const upstream = await provider(t)
  const { stream, delivered } = await fetchUpstream(`${upstream.url}/burst/300`, { provider: 'p', timeoutMs: 1000, idleTimeoutMs: 200, raw: true })
  await new Promise((resolve) => setTimeout(resolve, 700)) // the gateway's buffer is full: it stops reading
  let text = ''
  for await (const part of stream as AsyncIterable<Buffer>) text += String(part)
  t.equal(text.match(/"t\d+ "/g)?.length, 8000, 'every event')
  t.match(text, /\[DONE\]\n\n$/)
  t.match(await delivered, { outcome: 'completed', events: 8001 })
})
