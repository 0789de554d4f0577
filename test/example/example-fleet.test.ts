// The example gateway as a fleet: a reservation left by an instance that died is settled by
// another once its lease expires, at what its request delivered (nothing delivered: given back),
// once; a short Redis outage keeps reads going for keys verified seconds ago while spending stays
// closed; the waits it states during an outage are spread. Both stores where it applies.
import t, { type Test as Tap } from 'tap'
import { randomUUID } from 'node:crypto'
import { send, startGateway, type Gateway, type HarnessOptions } from './gateway-harness'
import { onBothStores } from './both-stores'
import { createMemoryStore } from '../../examples/gateway/store/memory'
import { createRedisStore } from '../../examples/gateway/store/redis'
import type { ApiKey, Store } from '../../examples/gateway/store/store'

const chat = (key: string) => ({ method: 'POST', path: '/v1/chat/completions', key, body: { model: 'demo-chat', messages: [{ role: 'user', content: 'Hello' }] } })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function suite (kind: 'memory' | 'redis', redisUrl: () => string | undefined) {
  /** A gateway, and a second handle on its store: the instance that will "die" holding reservations. */
  async function gatewayAndDyingPeer (t: Tap, options: HarnessOptions = {}): Promise<{ gateway: Gateway, peer: Store }> {
    if (kind === 'memory') {
      const store = createMemoryStore()
      const gateway = await startGateway({ store, ...options })
      t.teardown(() => gateway.close())
      return { gateway, peer: store }
    }
    const prefix = `fleet-${randomUUID()}:`
    const gateway = await startGateway({ redisUrl: redisUrl(), redisPrefix: prefix, ...options })
    const peer = await createRedisStore({ url: redisUrl() as string, prefix })
    t.teardown(async () => { await gateway.close(); await peer.close() })
    return { gateway, peer }
  }

  async function spentOn (gateway: Gateway, project: string): Promise<number> {
    const view = await send(gateway.url, { method: 'GET', path: `/v1/projects/${project}`, key: 'sk-demo-admin' })
    return Math.round(((await view.json()) as { spent_usd: number }).spent_usd * 1e6)
  }

  t.test(`${kind}: reservations of an instance that died are settled by another at what they delivered`, async (t) => {
    const { gateway, peer } = await gatewayAndDyingPeer(t, { reservationLeaseMs: 300 })
    const project = `proj-${randomUUID().slice(0, 8)}`
    t.equal((await send(gateway.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', body: { id: project, name: 'Fleet', budget_usd: 1 } })).status, 201)
    const caller = { id: 'key_dying', account: 'acct-demo', project, plan: 'free', scopes: ['chat'], rateLimit: 1000 } as ApiKey
    const before = await spentOn(gateway, project)
    const unserved = await peer.reserve(caller, 1_000_000, 2, 10_000, 300)
    const streaming = await peer.reserve(caller, 1_000_000, 2, 10_000, 300)
    t.ok(unserved.ok && streaming.ok, 'two requests reserved by the peer')
    if (!unserved.ok || !streaming.ok) return
    await peer.renew(streaming.reservation, 3_000, 300) // 3 tokens delivered, then the peer dies
    t.equal(await spentOn(gateway, project), before + 20_000, 'both held while their leases run')
    t.equal(await peer.reserve(caller, 1_000_000, 2, 10_000, 300).then((charge) => charge.ok), false, 'and the quota of 2 is taken')
    await sleep(900) // the lease expires; the gateway sweeps every 150 ms
    t.equal(await spentOn(gateway, project), before + 3_000, 'the stream is charged what it delivered, the unserved request nothing')
    t.equal(await peer.settle(streaming.reservation, 10_000), false, 'a late settle by a peer that came back changes nothing')
    t.equal(await peer.release(unserved.reservation), false)
    t.equal(await spentOn(gateway, project), before + 3_000)
    const again = await peer.reserve(caller, 1_000_000, 2, 10_000, 300)
    t.ok(again.ok, 'the unserved request\'s quota was given back')
    if (again.ok) t.equal(await peer.settle(again.reservation, 10_000), true)
  })

  t.test(`${kind}: a request that runs longer than the lease keeps its reservation`, async (t) => {
    const { gateway } = await gatewayAndDyingPeer(t, { reservationLeaseMs: 200, upstreamTimeoutMs: 5000 })
    const project = `proj-${randomUUID().slice(0, 8)}`
    await send(gateway.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', body: { id: project, name: 'Long', budget_usd: 1 } })
    const key = ((await (await send(gateway.url, { method: 'POST', path: `/v1/projects/${project}/keys`, key: 'sk-demo-admin', body: {} })).json()) as { secret: string }).secret
    // demo-slow-stream sends its 3 tokens over about 1 s, five leases long
    const response = await send(gateway.url, { method: 'POST', path: '/v1/chat/completions', key, body: { model: 'demo-slow-stream', stream: true, messages: [{ role: 'user', content: 'Hi' }] } })
    t.equal(response.status, 200)
    await response.text()
    await sleep(300)
    t.equal(await spentOn(gateway, project), 3_000, 'settled once, by its own request, for its 3 tokens: never swept')
  })
}

onBothStores(suite, (redis) => {
  t.test('redis down: keys verified seconds ago keep reading, spending stays closed, waits are spread', async (t) => {
    const prefix = `outage-${randomUUID()}:`
    const a = await startGateway({ redisUrl: redis()?.url, redisPrefix: prefix, verifiedKeyGraceMs: 1500 })
    t.teardown(() => a.close())
    t.equal((await send(a.url, { method: 'GET', path: '/v1/models' })).status, 200, 'sk-demo-full verified')
    await redis()?.stop()
    t.equal((await send(a.url, { method: 'GET', path: '/v1/models' })).status, 200, 'a read by a key verified seconds ago: served')
    const spend = await send(a.url, chat('sk-demo-full'))
    t.equal(spend.status, 503, 'spending: closed')
    t.equal((await send(a.url, { method: 'GET', path: '/v1/models', key: 'sk-demo-admin' })).status, 503, 'a key not verified lately: closed')
    t.equal((await send(a.url, { method: 'GET', path: '/v1/models', key: 'sk-never-seen-0000' })).status, 503, 'an unknown key: closed')
    const waits = new Set<string>()
    for (let i = 0; i < 30; i++) waits.add(String((await send(a.url, chat('sk-demo-full'))).headers.get('retry-after-ms')))
    t.ok(waits.size > 10, `${waits.size} distinct waits of 30: clients spread out`)
    t.ok([...waits].every((wait) => Number(wait) >= 1000 && Number(wait) <= 1500), 'each 1–1.5 s')
    await sleep(1600)
    t.equal((await send(a.url, { method: 'GET', path: '/v1/models' })).status, 503, 'past the grace period: closed')
    await redis()?.start()
  })
})
