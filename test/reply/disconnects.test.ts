// A client that leaves: GET, POST with a JSON body, a POST whose body is still uploading, and a
// streaming POST; with trackDisconnects true and false; with fetch and fetchUpstream. On Node 20 a
// POST's request 'close' fires once its body is read, so only the response tells that a client left.
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { fetchUpstream, type GatewayErrorEvent } from '../internals'
import { buildApp } from '../helpers'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function hangingUpstream (): Promise<{ url: string, received: () => number, cancelled: () => number, close: () => void }> {
  let received = 0
  let cancelled = 0
  const server: Server = createServer((req) => {
    received++
    req.resume()
    req.socket.on('close', () => { cancelled++ })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`,
    received: () => received,
    cancelled: () => cancelled,
    close: () => { server.closeAllConnections(); server.close() }
  }
}

interface Drop { method: 'GET' | 'POST', path: string, body?: string, partial?: boolean }

/** Sends a request, waits until `ready()`, then drops the connection. */
async function dropAfter (port: number, drop: Drop, ready: () => boolean): Promise<void> {
  const body = drop.body ?? ''
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    path: drop.path,
    method: drop.method,
    headers: drop.method === 'POST' ? { 'content-type': 'application/json', 'content-length': String(drop.partial === true ? body.length * 2 : body.length) } : {}
  })
  req.on('error', () => {})
  req.on('response', (res) => res.resume())
  if (drop.method === 'POST') req.write(body)
  if (drop.partial !== true) req.end()
  for (let i = 0; i < 300 && !ready(); i++) await sleep(10)
  req.destroy()
  await sleep(150)
}

const chatBody = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] })

for (const trackDisconnects of [true, false]) {
  t.test(`trackDisconnects: ${trackDisconnects}`, async (t) => {
    const upstream = await hangingUpstream()
    t.teardown(upstream.close)
    const events: GatewayErrorEvent[] = []
    const aborted: string[] = []
    let started = 0
    const app = await buildApp({ trackDisconnects, onGatewayError: (event) => events.push(event) }, (app) => {
      const viaFetchUpstream = async (request: { abortSignal: AbortSignal, url: string }) => {
        started++
        request.abortSignal.addEventListener('abort', () => aborted.push(request.url))
        return (await fetchUpstream(upstream.url, { provider: 'slow', timeoutMs: 20_000, signal: request.abortSignal, method: 'POST', body: '{}' })).body
      }
      const viaFetch = async (request: { abortSignal: AbortSignal, url: string }) => {
        started++
        request.abortSignal.addEventListener('abort', () => aborted.push(request.url))
        return (await fetch(upstream.url, { method: 'POST', body: '{}', signal: request.abortSignal })).json()
      }
      app.get('/get/upstream', viaFetchUpstream)
      app.post('/post/upstream', viaFetchUpstream)
      app.post('/post/fetch', viaFetch)
      app.post('/post/stream', async (request, reply) => {
        started++
        reply.hijack()
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
        const signal = request.abortSignal
        for (let i = 0; i < 1000 && !signal.aborted; i++) {
          reply.raw.write(`data: {"n":${i}}\n\n`)
          await sleep(5)
        }
        if (signal.aborted) aborted.push(request.url)
        else reply.raw.end('data: [DONE]\n\n')
      })
      app.post('/post/quiet', async (request) => {
        started++
        await new Promise((resolve) => request.abortSignal.addEventListener('abort', resolve))
        aborted.push(request.url)
        return { late: true } // returns normally: nothing to record unless every disconnect is tracked
      })
      app.post('/post/upload', async () => { started++; return { ok: true } })
    })
    t.teardown(() => app.close())
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo

    const cases: Array<[Drop, boolean]> = [
      [{ method: 'GET', path: '/get/upstream' }, true],
      [{ method: 'POST', path: '/post/upstream', body: chatBody }, true],
      [{ method: 'POST', path: '/post/fetch', body: chatBody }, true],
      [{ method: 'POST', path: '/post/stream', body: chatBody }, trackDisconnects],
      [{ method: 'POST', path: '/post/quiet', body: chatBody }, trackDisconnects]
    ]
    for (const [drop, recorded] of cases) {
      const before = { started, received: upstream.received(), events: events.length }
      const usesUpstream = drop.path.endsWith('upstream') || drop.path.endsWith('fetch')
      await dropAfter(port, drop, () => usesUpstream ? upstream.received() > before.received : started > before.started)
      t.ok(aborted.includes(drop.path), `${drop.method} ${drop.path}: request.abortSignal fired`)
      const mine = events.slice(before.events)
      t.same(mine.map((e) => [e.code, e.status, e.disconnected, e.route]), recorded ? [['client_disconnected', 0, true, drop.path]] : [],
        `${drop.method} ${drop.path}: ${recorded ? 'recorded once' : 'not recorded: no error followed'}`)
    }
    t.equal(upstream.cancelled(), upstream.received(), 'every upstream call was cancelled when its client left')

    // A POST whose body is still uploading when the client leaves: the handler never runs.
    const before = { started, events: events.length }
    await dropAfter(port, { method: 'POST', path: '/post/upload', body: chatBody, partial: true }, () => false)
    t.equal(started, before.started, 'the handler of an unfinished upload never ran')
    t.same(events.slice(before.events).map((e) => [e.code, e.route]), [['client_disconnected', '/post/upload']], 'an abandoned upload is recorded once')

    const fine = await fetch(`http://127.0.0.1:${port}/post/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody })
    t.equal(fine.status, 200)
    t.same(await fine.json(), { ok: true })
    await sleep(50)
    t.equal(events.filter((e) => e.route === '/post/upload').length, 1, 'a POST that completes is never recorded as a disconnect')
  })
}
