// The edges of provider translation: hostile and odd bodies, headers as objects, 200s that are errors.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { fetchUpstream, GatewayError } from '../internals'
import { isSafetyBlock, readProviderError, statusOfError, translateProviderError } from '../../lib/upstream/provider-errors'
import { eventError } from '../../lib/upstream/sse'

t.test('odd and hostile bodies never throw', async (t) => {
  const circular: Record<string, unknown> = {}
  circular.self = circular
  t.equal(readProviderError({ error: { message: circular } })?.message, '', 'a message that cannot be stringified')
  const hostile = { get error () { throw new Error('boom') } }
  t.equal(translateProviderError({ status: 400, body: hostile }).code, 'upstream_error', 'a body whose getter throws')
  t.equal(translateProviderError({ status: 400, body: 'not json' }).code, 'upstream_error')
  t.equal(translateProviderError({ status: 413, body: 'too big' }).code, 'payload_too_large')
  t.equal(translateProviderError({ status: 400, headers: { 'retry-after': ['3', '4'] }, body: '{"error":{"message":"x"}}' }).code, 'invalid_request')
  t.notOk(isSafetyBlock(null))
  t.notOk(isSafetyBlock({ candidates: [] }))
  t.ok(isSafetyBlock({ candidates: [{ finishReason: 'SAFETY' }] }))
  t.equal(eventError('event: error\ndata: not json\n\n', 'p')?.code, 'upstream_error')
  t.equal(eventError('data: not json\n\n', 'p'), undefined, 'an unparseable event that is not an error passes')
  t.equal(eventError('event: error\ndata: \n\n', 'p')?.code, 'upstream_error')
})

t.test('fetchUpstream: errors sent with 200, bad redirects, safety blocks', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/200-error') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{"error":{"code":429,"message":"Rate limit exceeded","type":"rate_limit_error"}}') }
    if (req.url === '/200-error-array') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('[{"error":{"message":"bad","status":"INVALID_ARGUMENT"}}]') }
    if (req.url === '/safety') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{"candidates":[{"finishReason":"SAFETY"}]}') }
    res.writeHead(302, { location: 'http://[not a url' })
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const codeOf = async (path: string) => ((await fetchUpstream(`${base}${path}`, { provider: 'p', timeoutMs: 2000, redirects: 'same-origin' }).then(() => undefined, (e: unknown) => e)) as GatewayError).code
  t.equal(await codeOf('/200-error'), 'rate_limit_exceeded')
  t.equal(await codeOf('/200-error-array'), 'invalid_request')
  t.equal(await codeOf('/safety'), 'content_filtered')
  t.equal(await codeOf('/bad-location'), 'upstream_error', 'a Location that is not a URL')
})

t.test('the rarer branches of the rules', async (t) => {
  const code = (status: number, error: unknown, headers?: Record<string, string>) => translateProviderError({ status, headers, body: error }).code
  t.equal(code(400, { error: { details: [null, { reason: 'X' }], message: 'bad' } }), 'invalid_request', 'details with nulls')
  t.equal(code(400, { type: 'ValidationException', message: 'bad' }), 'invalid_request', 'a top-level type')
  t.equal(code(400, { __type: 'ValidationException', message: 'bad' }), 'invalid_request', 'an AWS __type')
  t.equal(code(413, { error: { message: 'too large a body' } }), 'payload_too_large')
  t.equal(code(413, { error: { message: 'Request exceeds the maximum allowed number of bytes.' } }), 'payload_too_large', 'bytes over the maximum')
  t.equal(code(413, { error: { message: 'prompt is too long: 215000 tokens > 200000 maximum' } }), 'context_length_exceeded', 'a 413 about tokens')
  t.equal(code(400, { type: 'error', error: { message: 'bad' } }), 'invalid_request', 'an Anthropic body without its error type')
  t.equal(code(400, { error: { message: "Missing required parameter: 'messages'." } }), 'missing_required_parameter')
  t.equal(code(400, { error: { message: 'is required' } }), 'invalid_request', 'required, but no field named')
  t.equal(code(400, { error: { message: 'This model does not support tools' } }), 'tools_not_supported')
  t.equal(code(400, { error: { message: 'Argument not supported on this model: reasoningEffort' } }), 'reasoning_not_supported')
  t.equal(code(400, { error: { message: 'Feature not supported here' } }), 'invalid_request', 'unsupported, but which capability is not said')
  t.match(translateProviderError({ status: 503, headers: { 'retry-after': '5' }, body: '{}' }), { code: 'model_unavailable', details: { retry_after_ms: 5000 } })
  t.notOk('retry_after_ms' in translateProviderError({ status: 503, headers: { 'retry-after': '500' }, body: '{}' }).details, 'no wait beyond what the SDKs honour')
  t.equal(statusOfError(undefined), 502)
  t.equal(statusOfError({ code: 404 }), 404)
  t.equal(statusOfError({ status: 'UNAVAILABLE' }), 503)
})

t.test('event streams: odd events, oversized events, a stream that ends without a blank line', async (t) => {
  t.equal(eventError('data: [{"error":{"message":"x"}}]\n\n', 'p')?.code, 'upstream_error', 'an array')
  t.equal(eventError('data: null\n\n', 'p'), undefined)
  t.equal(eventError('data: {"candidates":[{"finishReason":"SAFETY"}]}\n\n', 'p')?.code, 'content_filtered')
  const from = (chunks: Array<string | Error>) => new ReadableStream<Uint8Array>({
    async pull (controller) {
      const next = chunks.shift()
      if (next === undefined) controller.close()
      else if (next instanceof Error) controller.error(next)
      else controller.enqueue(new TextEncoder().encode(next))
    }
  })
  const streamed = async (chunks: Array<string | Error>) => {
    const parts: string[] = []
    try {
      const { stream } = await fetchUpstream('http://provider.test/', { provider: 'p', timeoutMs: 2000, raw: true, fetch: async () => new Response(from(chunks), { headers: { 'content-type': 'text/event-stream' } }) })
      for await (const part of stream as AsyncIterable<Buffer>) parts.push(String(part))
      return { parts }
    } catch (error) {
      return { parts, code: (error as GatewayError).code }
    }
  }
  t.same(await streamed(['data: 1\r\n\r\ndata: 2']), { parts: ['data: 1\r\n\r\n', 'data: 2\n\n'] }, 'CRLF, and a last event without its blank line completed')
  t.same(await streamed(['data: 1\n', '\ndata: 2\r', '\n\r\n']), { parts: ['data: 1\n\n', 'data: 2\r\n\r\n'] }, 'blank lines split across chunks')
  t.same(await streamed(['data: 1\r\rdata: 2\n\r\n']), { parts: ['data: 1\r\rdata: 2\n\r\n'] }, 'CR line ends')
  t.same(await streamed(['da', 'ta: 1', '\n\nda', 'ta: 2\n\n']), { parts: ['data: 1\n\n', 'data: 2\n\n'] }, 'a part event is held until it is whole')
  t.same(await streamed(['data: ' + 'x'.repeat((1 << 20) + 10)]), { parts: [], code: 'upstream_error' }, 'a first event over 1 MiB')
  t.same(await streamed(['data: 1\n\n', 'data: ' + 'x'.repeat(1 << 19), 'x'.repeat(1 << 19), 'x'.repeat(100)]), { parts: ['data: 1\n\n'], code: 'upstream_error' }, 'a later event over 1 MiB')
  t.same(await streamed(['data: 1\n\n', new Error('reset')]), { parts: ['data: 1\n\n'], code: 'upstream_error' }, 'a provider that drops the stream midway')
  t.same(await streamed(['data: 1\n\ndata: {"error":{"message":"Overloaded","type":"overloaded_error"}}\n\n']), { parts: ['data: 1\n\n'], code: 'model_unavailable' }, 'an error after an event in the first chunk')
  t.same(await streamed(['data: 1\n\n', 'data: {"error":{"message":"Overloaded","type":"overloaded_error"}}\n\n']), { parts: ['data: 1\n\n'], code: 'model_unavailable' }, 'an error event alone in its chunk')
  t.same(await streamed(['data: 1\n\n', 'data: {"error":{"message":"x"}}']), { parts: ['data: 1\n\n'], code: 'upstream_error' }, 'an error as the last event, without its blank line')
  t.same(await streamed(['data: {"text":"no error here"}\n\n', 'data: {"candidates":[{"finishReason":"STOP"}]}\n\n']), { parts: ['data: {"text":"no error here"}\n\n', 'data: {"candidates":[{"finishReason":"STOP"}]}\n\n'] }, 'a word that only looks like an error is forwarded as sent')
  t.same(await streamed(['data: {"candidates":[{"finishReason":"SAFETY"}]}']), { parts: [], code: 'content_filtered' }, 'a first and only event without its blank line')
})

t.test('fetchUpstream: a body-less reply, a redirect without Location, a client that leaves', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/no-location') { res.writeHead(302); return res.end() }
    if (req.url === '/no-type') { res.writeHead(200); return res.end('{"id":"x"}') }
    if (req.url === '/hang') return
    res.writeHead(204)
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const outcome = (path: string, options: Record<string, unknown> = {}) => fetchUpstream(`${base}${path}`, { provider: 'p', timeoutMs: 2000, redirects: 'same-origin', ...options }).then((r) => r.body, (e: unknown) => (e as GatewayError).code)
  t.equal(await outcome('/no-location'), 'upstream_error')
  t.same(await outcome('/no-type'), { id: 'x' }, 'no content-type: read as JSON')
  t.equal(await outcome('/no-type', { raw: true }), 'upstream_error', 'no content-type is no event stream')
  t.equal(await outcome('/empty', { fetch: async () => new Response(null, { status: 500 }) }), 'upstream_error', 'an error without a body')
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 30)
  t.equal(await outcome('/hang', { signal: controller.signal }), 'client_disconnected')
})
