// Starts the example gateway and its fake upstreams on free ports, counting every gateway error,
// on either store: in memory, or Redis (a real redis-server, see redis-server.ts).
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { build, type GatewayOptions } from '../../examples/gateway/app'
import { createRedisStore } from '../../examples/gateway/store/redis'
import { startUpstreams } from '../../examples/gateway/upstreams'
import type { ExampleCall } from '../../examples/gateway/requests'
import type { GatewayErrorEvent } from '../internals'
import { startRedisServer, type RedisServer } from './redis-server'
import t from 'tap'

export { requests } from '../../examples/gateway/requests'
export type { ExampleRequest } from '../../examples/gateway/requests'

export interface Gateway {
  url: string
  events: GatewayErrorEvent[]
  attempts: (code: string) => number
  close: () => Promise<void>
}

export type StoreKind = 'memory' | 'redis'

export interface HarnessOptions extends Partial<GatewayOptions> {
  /** Keep state in this Redis; instances given the same `redisPrefix` share it (a fresh one by default). */
  redisUrl?: string
  redisPrefix?: string
}

let sharedRedis: Promise<RedisServer> | undefined

/** With GATEWAY_STORE=redis (test/example/on-redis.test.ts), gateways keep their state in one Redis for the file. */
async function defaultRedisUrl (): Promise<string | undefined> {
  if (process.env.GATEWAY_STORE !== 'redis') return undefined
  if (sharedRedis === undefined) {
    sharedRedis = startRedisServer()
    t.teardown(async () => (await sharedRedis)?.remove())
  }
  return (await sharedRedis).url
}

export async function startGateway (options: HarnessOptions = {}): Promise<Gateway> {
  const { redisUrl = await defaultRedisUrl(), redisPrefix, ...gatewayOptions } = options
  const upstreams = await startUpstreams()
  const events: GatewayErrorEvent[] = []
  const store = redisUrl === undefined ? undefined : await createRedisStore({ url: redisUrl, prefix: redisPrefix ?? `test-${randomUUID()}:`, ...gatewayOptions })
  // Every test client comes from 127.0.0.1: the limits on failed logins and MFA codes are raised here.
  const app = build({
    upstreamUrl: upstreams.url,
    upstreamTimeoutMs: 300,
    rateLimitWindowMs: 300,
    failedLoginLimit: 100_000,
    mfaAttemptLimit: 100_000,
    onGatewayError: (event: GatewayErrorEvent) => events.push(event),
    store,
    ...gatewayOptions
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    events,
    attempts: (code) => events.filter((event) => event.code === code).length,
    close: async () => {
      const undocumented = await undocumentedErrors(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, events)
      await app.close()
      await upstreams.close()
      if (undocumented.length > 0) throw new Error(`errors sent but not in the route's OpenAPI document: ${undocumented.join(', ')}`)
    }
  }
}

/**
 * Every error the gateway sent, looked up in the OpenAPI document it serves: the route's operation
 * lists the status, with an example for the code (the examples are keyed by code).
 */
async function undocumentedErrors (url: string, events: readonly GatewayErrorEvent[]): Promise<string[]> {
  const sent = events.filter((event) => !event.disconnected && event.route !== undefined)
  if (sent.length === 0) return []
  const doc = await (await fetch(`${url}/docs/json`)).json() as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { examples?: Record<string, unknown> }> }> }>> }
  const missing = new Set<string>()
  for (const event of sent) {
    const path = (event.route as string).replace(/:(\w+)/g, '{$1}')
    const response = doc.paths[path]?.[event.method.toLowerCase()]?.responses[String(event.status)]
    if (response?.content?.['application/json']?.examples?.[event.code] === undefined) missing.add(`${event.method} ${event.route} ${event.code}`)
  }
  return [...missing]
}

/** The same request over plain fetch, as curl would send it. */
export async function send (url: string, request: ExampleCall, extraHeaders: Record<string, string> = {}): Promise<Response> {
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
