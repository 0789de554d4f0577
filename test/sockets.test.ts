// Real sockets: what happens when the client goes away before the reply.
import { request } from 'node:http'
import { once } from 'node:events'
import t from 'tap'
import type { GatewayErrorEvent } from '../lib/index'
import { buildApp } from './helpers'

t.test('a client that aborts mid-request: recorded as client_disconnected, nothing written', async (t) => {
  const events: GatewayErrorEvent[] = []
  let handlerSawClose = false
  let wroteAfterAbort = false
  const app = await buildApp({ onGatewayError: (event) => events.push(event) }, (app) => {
    app.get('/slow', async (req, reply) => {
      await once(req.raw.socket, 'close')
      handlerSawClose = true
      const write = reply.raw.write.bind(reply.raw)
      reply.raw.write = (...args: unknown[]) => { wroteAfterAbort = true; return (write as (...a: unknown[]) => boolean)(...args) }
      throw new Error('upstream aborted because the client left')
    })
    app.get('/silent', async (req, reply) => {
      await once(req.raw.socket, 'close')
      return reply.gatewayError('client_disconnected')
    })
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  for (const path of ['/slow', '/silent']) {
    const req = request({ host: '127.0.0.1', port, path })
    req.on('error', () => {})
    req.end()
    await new Promise((resolve) => setTimeout(resolve, 50))
    req.destroy()
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(handlerSawClose)
  t.notOk(wroteAfterAbort, 'nothing written after the client left')
  t.same(events.map((e) => [e.code, e.status, e.disconnected, e.route]), [
    ['client_disconnected', 0, true, '/slow'],
    ['client_disconnected', 0, true, '/silent']
  ])
  t.type(events[0]?.error, Error, 'the error that surfaced is kept for the hook')
})
