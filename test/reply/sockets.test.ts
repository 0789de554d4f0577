// Real sockets: what happens when the client goes away before the reply.
import { Agent, createServer, request, type Server } from 'node:http'
import { connect as connectHttp2 } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import t from 'tap'
import { fetchUpstream, type GatewayErrorEvent } from '../internals'
import { buildApp } from '../helpers'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function hangingUpstream (): Promise<{ server: Server, received: () => number, cancelled: () => number }> {
  let cancelled = 0
  let received = 0
  const server = createServer((req) => {
    received++
    req.socket.on('close', () => { cancelled++ })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, received: () => received, cancelled: () => cancelled })))
}

/** Sends a request, waits until `ready` says so, then drops the connection. */
async function abandon (port: number, path: string, ready: (chunks: string[]) => boolean): Promise<string[]> {
  const chunks: string[] = []
  const req = request({ host: '127.0.0.1', port, path })
  req.on('error', () => {})
  req.on('response', (res) => res.on('data', (chunk: Buffer) => chunks.push(chunk.toString())))
  req.end()
  for (let i = 0; i < 200 && !ready(chunks); i++) await sleep(10)
  req.destroy()
  await sleep(150)
  return chunks
}

t.test('client aborts: recorded once as client_disconnected, the handler\'s signal fires, nothing written', async (t) => {
  const upstream = await hangingUpstream()
  t.teardown(() => { upstream.server.closeAllConnections(); upstream.server.close() })
  const upstreamUrl = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}/v1/chat/completions`
  const events: GatewayErrorEvent[] = []
  const signals: string[] = []
  let writesAfterAbort = 0
  let started = 0
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/upstream', async (request) => {
      started++
      request.abortSignal.addEventListener('abort', () => signals.push('upstream'))
      const { body } = await fetchUpstream(upstreamUrl, { provider: 'slow', timeoutMs: 10_000, signal: request.abortSignal })
      return body
    })
    app.get('/stream', async (request, reply) => {
      started++
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
      const signal = request.abortSignal
      signal.addEventListener('abort', () => signals.push('stream'))
      for (let i = 0; i < 500 && !signal.aborted; i++) {
        reply.raw.write(`data: {"n":${i}}\n\n`)
        await sleep(10)
      }
      if (signal.aborted) {
        const write = reply.raw.write.bind(reply.raw)
        reply.raw.write = ((...args: Parameters<typeof write>) => { writesAfterAbort++; return write(...args) }) as typeof write
        return reply.gatewayError('upstream_error')
      }
      reply.raw.end('data: [DONE]\n\n')
      return reply
    })
    app.get('/late', async (request) => {
      started++
      await once(request.raw, 'close')
      return request.abortSignal.aborted ? 'aborted before it was asked for' : 'not aborted'
    })
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  await abandon(port, '/upstream', () => upstream.received() === 1)
  t.equal(upstream.cancelled(), 1, 'the upstream fetch was cancelled')
  const streamed = await abandon(port, '/stream', (chunks) => chunks.length > 0)
  t.ok(streamed.length > 0, 'the stream had started')
  await abandon(port, '/late', () => started === 3)

  t.same(signals, ['upstream', 'stream'], 'each handler\'s signal fired')
  t.equal(writesAfterAbort, 0, 'nothing written after the client left')
  t.same(events.map((e) => [e.code, e.status, e.disconnected, e.route]), [
    ['client_disconnected', 0, true, '/upstream'],
    ['client_disconnected', 0, true, '/stream'],
    ['client_disconnected', 0, true, '/late']
  ], 'recorded once each')
  t.ok(events.every((e) => e.elapsedMs > 0 && e.requestId.startsWith('req-')))
})

t.test('an error surfacing after the client left is recorded once, without a hook too', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  let handled = false
  let started = false
  const app = await buildApp({}, (app) => {
    app.get('/slow', async (req) => {
      started = true
      await new Promise((resolve) => req.raw.on('close', resolve))
      handled = true
      throw new Error('upstream aborted because the client left')
    })
  }, { logger: { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  await abandon((app.server.address() as AddressInfo).port, '/slow', () => started)
  t.ok(handled, 'the handler saw the close and threw')
  const records = lines.filter((line) => line.code === 'client_disconnected')
  t.equal(records.length, 1, 'one client_disconnected record for the abort and the error after it')
  t.equal(records[0]?.route, '/slow')
  t.notOk(lines.some((line) => line.res !== undefined && (line.res as { statusCode?: number }).statusCode === 500), 'no 500 reply was logged')
})

t.test('trackDisconnects: false — no per-request hooks; request.abortSignal still fires', async (t) => {
  const events: GatewayErrorEvent[] = []
  const signals: string[] = []
  let started = 0
  const app = await buildApp({ trackDisconnects: false, onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/early', async (request) => {
      started++
      const signal = request.abortSignal
      t.equal(request.abortSignal, signal, 'one signal per request')
      await new Promise((resolve) => signal.addEventListener('abort', resolve))
      signals.push(`early:${(signal.reason as { code?: string }).code}`)
      throw signal.reason
    })
    app.get('/late', async (request) => {
      started++
      await new Promise((resolve) => request.raw.on('close', resolve))
      signals.push(`late:${request.abortSignal.aborted}`)
      return 'gone'
    })
    app.get('/fine', async (request) => ({ aborted: request.abortSignal.aborted }))
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  await abandon(port, '/early', () => started === 1)
  await abandon(port, '/late', () => started === 2)
  t.same(signals, ['early:client_disconnected', 'late:true'])
  t.same(events.map((e) => [e.code, e.route]), [['client_disconnected', '/early']], 'recorded when an error surfaces; a handler that returns normally is not')
  const fine = await fetch(`http://127.0.0.1:${port}/fine`)
  t.same(await fine.json(), { aborted: false }, 'a request that completes is not aborted')
})

t.test('a POST whose client is still waiting is not aborted (Fastify\'s own request.signal is, on Node 20 to 26)', async (t) => {
  const app = await buildApp({}, (app) => {
    app.post('/slow', async (request) => {
      const ours = request.abortSignal
      const fastifys = request.signal
      await new Promise((resolve) => setTimeout(resolve, 100))
      return { ours: ours.aborted, fastifys: fastifys.aborted }
    })
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const response = await fetch(`http://127.0.0.1:${port}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m"}' })
  const body = await response.json() as { ours: boolean, fastifys: boolean }
  t.equal(body.ours, false, 'request.abortSignal: not aborted while the client waits')
  t.comment(`Fastify ${app.version}'s request.signal aborted: ${body.fastifys} (it listens to the request's 'close', which Node 20 to 26 emit once the body is read)`)
})

t.test('a kept-alive connection: a client that leaves during its second request is seen; one that leaves between requests is not', async (t) => {
  const events: GatewayErrorEvent[] = []
  const signals: string[] = []
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/fast', async () => ({ ok: true }))
    app.get('/wait', async (request) => {
      await new Promise((resolve) => request.abortSignal.addEventListener('abort', resolve))
      signals.push((request.abortSignal.reason as { code?: string }).code ?? '')
      return 'gone'
    })
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const get = (path: string) => request({ host: '127.0.0.1', port, path, agent })
  let sockets = 0
  app.server.on('connection', () => { sockets++ })
  await new Promise<void>((resolve) => get('/fast').on('response', (res) => { res.resume(); res.on('end', resolve) }).end())
  await new Promise<void>((resolve) => get('/fast').on('response', (res) => { res.resume(); res.on('end', resolve) }).end())
  const second = get('/wait')
  second.on('error', () => {})
  second.end()
  await sleep(100)
  second.destroy()
  await sleep(150)
  t.equal(sockets, 1, 'all three on one connection')
  t.same(signals, ['client_disconnected'], 'the signal of the request in flight fired')
  t.same(events.map((event) => [event.code, event.route]), [['client_disconnected', '/wait']], 'recorded once, for that request')
  agent.destroy()
  const idle = new Agent({ keepAlive: true, maxSockets: 1 })
  await new Promise<void>((resolve) => request({ host: '127.0.0.1', port, path: '/fast', agent: idle }).on('response', (res) => { res.resume(); res.on('end', resolve) }).end())
  idle.destroy() // the connection closes with no reply in flight
  await sleep(100)
  t.equal(events.length, 1, 'nothing recorded for a connection closed between requests')
})

t.test('HTTP/2: a stream the client resets is seen as a client that left', async (t) => {
  const events: GatewayErrorEvent[] = []
  const signals: string[] = []
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/wait', async (request) => {
      await new Promise((resolve) => request.abortSignal.addEventListener('abort', resolve))
      signals.push((request.abortSignal.reason as { code?: string }).code ?? '')
      return 'gone'
    })
    app.get('/fine', async (request) => ({ aborted: request.abortSignal.aborted }))
  }, { http2: true } as never)
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const session = connectHttp2(`http://127.0.0.1:${port}`)
  t.teardown(() => session.close())
  const fine = session.request({ ':path': '/fine' })
  let text = ''
  fine.on('data', (chunk: Buffer) => { text += chunk.toString() })
  await once(fine, 'end')
  t.same(JSON.parse(text), { aborted: false }, 'a completed HTTP/2 request is not aborted')
  const waiting = session.request({ ':path': '/wait' })
  waiting.on('error', () => {})
  await sleep(100)
  waiting.close()
  await sleep(150)
  t.same(signals, ['client_disconnected'])
  t.same(events.map((event) => [event.code, event.route]), [['client_disconnected', '/wait']])
})
