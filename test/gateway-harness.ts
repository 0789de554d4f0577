// Starts the example gateway and its fake upstreams on free ports, counting every gateway error.
import type { AddressInfo } from 'node:net'
import type { GatewayErrorEvent } from './internals'

const { build } = require('../examples/gateway/app')
const { startUpstreams } = require('../examples/gateway/upstreams')
export const requests: Record<string, ExampleRequest> = require('../examples/gateway/requests')

export interface ExampleRequest {
  method: string
  path: string
  key?: string
  headers?: Record<string, string>
  body?: Record<string, unknown>
  raw?: string
  before?: ExampleRequest[]
  note: string
}

export interface Gateway {
  url: string
  events: GatewayErrorEvent[]
  attempts: (code: string) => number
  close: () => Promise<void>
}

export async function startGateway (options: Record<string, unknown> = {}): Promise<Gateway> {
  const upstreams = await startUpstreams()
  const events: GatewayErrorEvent[] = []
  // Every test client comes from 127.0.0.1: the limit on failed logins per address is raised here.
  const app = build({
    upstreamUrl: upstreams.url,
    upstreamTimeoutMs: 300,
    rateLimitWindowMs: 300,
    failedLoginLimit: 100_000,
    onGatewayError: (event: GatewayErrorEvent) => events.push(event),
    ...options
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    events,
    attempts: (code) => events.filter((event) => event.code === code).length,
    close: async () => { await app.close(); await upstreams.close() }
  }
}

/** The same request over plain fetch, as curl would send it. */
export async function send (url: string, request: ExampleRequest, extraHeaders: Record<string, string> = {}): Promise<Response> {
  const hasBody = request.raw !== undefined || request.body !== undefined
  return fetch(url + request.path, {
    method: request.method,
    headers: {
      authorization: `Bearer ${request.key ?? 'sk-demo-full'}`,
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...request.headers,
      ...extraHeaders
    },
    body: request.raw ?? (request.body === undefined ? undefined : JSON.stringify(request.body))
  })
}
