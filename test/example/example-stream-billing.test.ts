// The example gateway bills a stream for what it delivered, from fetchUpstream's delivery record:
// a stream the provider cuts after N tokens is charged N tokens, a complete one the provider's own
// count; on the in-memory store and on Redis.
import t, { type Test as Tap } from 'tap'
import { randomUUID } from 'node:crypto'
import { startGateway, send, type Gateway } from './gateway-harness'
import { skipRedis, startRedisServer } from './redis-server'
import { TOKEN_COST_MICROS } from '../../examples/gateway/billing'

async function spentMicros (gateway: Gateway, project: string): Promise<number> {
  const view = await send(gateway.url, { method: 'GET', path: `/v1/projects/${project}`, key: 'sk-demo-admin' })
  return Math.round((await view.json() as { spent_usd: number }).spent_usd * 1e6)
}

async function settled (gateway: Gateway, project: string, expected: number): Promise<number> {
  let spent = await spentMicros(gateway, project)
  for (let i = 0; i < 50 && spent !== expected; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    spent = await spentMicros(gateway, project)
  }
  return spent
}

async function billsWhatWasDelivered (t: Tap, gateway: Gateway): Promise<void> {
  const project = `proj-${randomUUID().slice(0, 8)}`
  t.equal((await send(gateway.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', body: { id: project, name: 'Billing', budget_usd: 1 } })).status, 201)
  const key = (await (await send(gateway.url, { method: 'POST', path: `/v1/projects/${project}/keys`, key: 'sk-demo-admin', body: {} })).json() as { secret: string }).secret
  let expected = 0
  const cases = [
    ['/v1/chat/completions', 'demo-broken-stream', 2, 'cut by the provider after 2 tokens'],
    ['/v1/chat/completions', 'demo-chat', 3, 'complete: the 3 output tokens the provider reported'],
    ['/v1/messages', 'demo-broken-stream', 2, 'Anthropic envelope, cut after 2 tokens']
  ] as const
  for (const [path, model, tokens, label] of cases) {
    const response = await send(gateway.url, { method: 'POST', path, key, body: { model, max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'Hello' }] } })
    t.equal(response.status, 200, `${label}: the stream began`)
    const text = await response.text()
    t.equal(/"error"/.test(text), tokens === 2, `${label}: ${tokens === 2 ? 'ends with the catalog error event' : 'no error'}`)
    expected += tokens * TOKEN_COST_MICROS
    t.equal(await settled(gateway, project, expected), expected, `${label}: charged ${tokens} tokens`)
  }
  const failed = await send(gateway.url, { method: 'POST', path: '/v1/chat/completions', key, body: { model: 'demo-nope', stream: true, messages: [{ role: 'user', content: 'Hello' }] } })
  t.not(failed.status, 200, 'a stream that never opens')
  await failed.text()
  t.equal(await settled(gateway, project, expected), expected, 'costs nothing')
}

t.test('in memory', async (t) => {
  const gateway = await startGateway({ upstreamTimeoutMs: 5000 })
  t.teardown(gateway.close)
  await billsWhatWasDelivered(t, gateway)
})

t.test('on Redis', { skip: skipRedis }, async (t) => {
  const redis = await startRedisServer()
  t.teardown(() => redis.remove())
  const gateway = await startGateway({ upstreamTimeoutMs: 5000, redisUrl: redis.url })
  t.teardown(gateway.close)
  await billsWhatWasDelivered(t, gateway)
})
