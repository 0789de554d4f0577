// Two example gateway instances on one real Redis: budgets, idempotency keys and rate limits hold
// across both, and Redis stopped mid-run fails closed (service_unavailable) and recovers by itself.
import t, { type Test as Tap } from 'tap'
import { randomUUID } from 'node:crypto'
import { startGateway, send, type Gateway } from './gateway-harness'
import { skipRedis, startRedisServer, type RedisServer } from './redis-server'

interface ErrorBody { error: { code: string, retryable: boolean } }

if (skipRedis !== false) t.plan(0, skipRedis)
else {
  let redis: RedisServer
  t.before(async () => { redis = await startRedisServer() })
  t.teardown(async () => redis.remove())

  /** Two instances sharing one prefix (one deployment). */
  async function pair (options: Record<string, unknown> = {}): Promise<[Gateway, Gateway]> {
    // a generous upstream timeout: 200 concurrent requests on a loaded CI machine are slow
    const shared = { redisUrl: redis.url, redisPrefix: `pair-${randomUUID()}:`, upstreamTimeoutMs: 10_000, ...options }
    const a = await startGateway(shared)
    const b = await startGateway(shared)
    t.teardown(async () => { await a.close(); await b.close() })
    return [a, b]
  }

  async function json<T> (response: Response): Promise<T> {
    return await response.json() as T
  }

  /** A project with a budget of `requests` requests ($0.01 each), and a key of its own. */
  async function projectWithKey (t: Tap, gateway: Gateway, requests: number, rateLimit?: number): Promise<{ project: string, key: string }> {
    const project = `proj-${randomUUID().slice(0, 8)}`
    const created = await send(gateway.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', body: { id: project, name: 'Shared', budget_usd: requests / 100 } })
    t.equal(created.status, 201, 'project created by an admin key')
    const keyBody = rateLimit === undefined ? {} : { rate_limit: rateLimit }
    const key = await send(gateway.url, { method: 'POST', path: `/v1/projects/${project}/keys`, key: 'sk-demo-admin', body: keyBody })
    t.equal(key.status, 201)
    return { project, key: (await json<{ secret: string }>(key)).secret }
  }

  const chat = (key: string) => ({ method: 'POST', path: '/v1/chat/completions', key, body: { model: 'demo-chat', messages: [{ role: 'user', content: 'Hello' }] } })

  t.test('a budget of N requests admits exactly N of 200 concurrent requests over both instances', async (t) => {
    const [a, b] = await pair()
    const N = 37
    const { project, key } = await projectWithKey(t, a, N)
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => send(i % 2 === 0 ? a.url : b.url, chat(key))))
    const outcomes = await Promise.all(responses.map(async (response) =>
      response.status === 200 ? 'served' : `${response.status} ${(await json<ErrorBody>(response)).error.code}`))
    t.equal(outcomes.filter((outcome) => outcome === 'served').length, N, 'exactly N succeed')
    t.same(outcomes.filter((outcome) => outcome !== 'served' && outcome !== '429 budget_exhausted'), [], 'every other one is budget_exhausted')
    const servedBy = [a, b].map((gateway) => outcomes.filter((outcome, i) => outcome === 'served' && (i % 2 === 0) === (gateway === a)).length)
    t.ok(servedBy.every((count) => count > 0), `both instances served some (${servedBy.join(' + ')})`)
    const view = await json<{ spent_usd: number, budget_usd: number }>(await send(b.url, { method: 'GET', path: `/v1/projects/${project}`, key: 'sk-demo-admin' }))
    t.equal(Math.round(view.spent_usd * 100), N, 'spent: N requests, none counted twice')
  })

  t.test('an idempotency key used on one instance replays or conflicts on the other', async (t) => {
    const [a, b] = await pair()
    const headers = { 'idempotency-key': `idem-${randomUUID()}` }
    const id = `proj-${randomUUID().slice(0, 8)}`
    const first = await send(a.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', headers, body: { id, name: 'First' } })
    t.equal(first.status, 201)
    const firstBody = await first.json()
    const replay = await send(b.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', headers, body: { id, name: 'First' } })
    t.equal(replay.status, 201, 'the same key and payload on the other instance')
    t.same(await replay.json(), firstBody, 'replays the stored reply')
    const conflict = await send(b.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', headers, body: { id: `${id}-b`, name: 'Second' } })
    t.equal(conflict.status, 409)
    t.equal((await json<ErrorBody>(conflict)).error.code, 'idempotency_conflict')
    const missing = await send(a.url, { method: 'GET', path: `/v1/projects/${id}-b` })
    t.equal(missing.status, 404, 'the conflicting request did nothing')
  })

  t.test('a rate limit counts the requests of both instances', async (t) => {
    const [a, b] = await pair({ rateLimitWindowMs: 60_000 })
    const { key } = await projectWithKey(t, a, 100, 10)
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await send(i % 2 === 0 ? a.url : b.url, { method: 'GET', path: '/v1/models', key })).status)
    t.same(statuses.slice(0, 10), Array(10).fill(200), 'ten served, alternating instances')
    t.same(statuses.slice(10), [429, 429], 'then both instances refuse')
  })

  t.test('a gateway started before Redis: service_unavailable, then served once Redis is up', async (t) => {
    const late = await startRedisServer()
    await late.stop()
    t.teardown(() => late.remove())
    const gateway = await startGateway({ redisUrl: late.url, redisPrefix: `late-${randomUUID()}:` })
    t.teardown(() => gateway.close())
    const down = await send(gateway.url, chat('sk-demo-full'))
    t.equal(down.status, 503)
    t.equal((await json<ErrorBody>(down)).error.code, 'service_unavailable')
    await late.start()
    const deadline = Date.now() + 10_000
    let status = 0
    while (status !== 200 && Date.now() < deadline) {
      status = (await send(gateway.url, chat('sk-demo-full'))).status
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    t.equal(status, 200, 'the demo accounts are seeded on connection, and served')
  })

  t.test('Redis stopped mid-run: service_unavailable with a wait, no crash, recovery, nothing counted twice', async (t) => {
    const [a, b] = await pair()
    const N = 12
    const { project, key } = await projectWithKey(t, a, N)
    let served = 0
    for (let i = 0; i < 4; i++) if ((await send(i % 2 === 0 ? a.url : b.url, chat(key))).status === 200) served++
    t.equal(served, 4)

    await redis.stop()
    const down = await Promise.all([a, b, a, b].map((gateway) => send(gateway.url, chat(key))))
    for (const response of down) {
      t.equal(response.status, 503)
      const body = await json<ErrorBody>(response)
      t.equal(body.error.code, 'service_unavailable')
      t.equal(body.error.retryable, true)
      t.ok(Number(response.headers.get('retry-after')) >= 1, 'with a wait')
      t.notMatch(JSON.stringify(body), /redis|ECONNREFUSED|127\.0\.0\.1/i, 'the cause is not sent')
    }
    const idempotent = await send(b.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', headers: { 'idempotency-key': 'during-outage' }, body: { id: 'proj-outage', name: 'x' } })
    t.equal(idempotent.status, 503, 'idempotency fails closed too')

    await redis.start()
    // ioredis reconnects by itself within half a second
    const deadline = Date.now() + 10_000
    let recovered = false
    while (!recovered && Date.now() < deadline) {
      const response = await send(a.url, chat(key))
      if (response.status === 200) { served++; recovered = true } else await new Promise((resolve) => setTimeout(resolve, 100))
    }
    t.ok(recovered, 'served again once Redis is back')
    const after = await Promise.all(Array.from({ length: 30 }, (_, i) => send(i % 2 === 0 ? a.url : b.url, chat(key))))
    served += after.filter((response) => response.status === 200).length
    t.equal(served, N, 'exactly the budget, over the outage')
    // b reconnects on its own schedule (up to 500 ms apart): read once it answers
    let reply = await send(b.url, { method: 'GET', path: `/v1/projects/${project}`, key: 'sk-demo-admin' })
    for (let tries = 0; reply.status !== 200 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      reply = await send(b.url, { method: 'GET', path: `/v1/projects/${project}`, key: 'sk-demo-admin' })
    }
    const view = await json<{ spent_usd: number }>(reply)
    t.equal(Math.round(view.spent_usd * 100), N, 'spent once per served request')
  })
}
