// The example gateway's limits hold against bursts and its budgets cannot be reset by a key: each
// attempt is counted before (or as) it is judged, over two instances sharing one store; projects are
// named within their account, creating one is the admin's, a deleted one keeps its spending and
// takes its keys with it. Run on both stores (two instances on one memory store, or on one Redis).
import t, { type Test as Tap } from 'tap'
import { randomUUID } from 'node:crypto'
import { send, startGateway, type Gateway, type HarnessOptions } from './gateway-harness'
import { onBothStores } from './both-stores'
import { createMemoryStore } from '../../examples/gateway/store/memory'
import { demoSeed } from '../../examples/gateway/store/seed'
import { DAY } from '../../examples/gateway/store/store'
import { totp } from '../../examples/gateway/totp'

interface ErrorBody { error: { code: string, details?: Record<string, unknown> } }

const demoMfa = () => totp(demoSeed().accounts.find((entry) => entry.id === 'acct-demo')?.mfaSecret as string)
const chat = { model: 'demo-chat', messages: [{ role: 'user', content: 'Hello' }] }

async function codeOf (response: Response): Promise<string> {
  return ((await response.json()) as ErrorBody).error.code
}

/** Tallies of the replies' status codes. */
function tally (statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {}
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

function suite (kind: 'memory' | 'redis', redisUrl: () => string | undefined) {
  /** Two instances of one deployment: one Redis prefix, or one memory store. */
  async function pair (t: Tap, options: HarnessOptions = {}): Promise<[Gateway, Gateway]> {
    const shared: HarnessOptions = kind === 'redis'
      ? { redisUrl: redisUrl(), redisPrefix: `limits-${randomUUID()}:` }
      : { store: createMemoryStore() }
    const a = await startGateway({ ...shared, upstreamTimeoutMs: 10_000, ...options })
    const b = await startGateway({ ...shared, upstreamTimeoutMs: 10_000, ...options })
    t.teardown(async () => { await a.close(); await b.close() })
    return [a, b]
  }

  t.test(`${kind}: 200 concurrent MFA codes over two instances: at most the limit are judged`, async (t) => {
    const [a, b] = await pair(t, { mfaAttemptLimit: 5, mfaWindowMs: 60_000 })
    const right = 137
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      send(i % 2 === 0 ? a.url : b.url, {
        method: 'DELETE',
        path: '/v1/keys/key_demo_readonly',
        headers: { 'x-mfa-code': i === right ? demoMfa() : String(100_000 + i) }
      })))
    const counts = tally(replies.map((reply) => reply.status))
    const judged = (counts[401] ?? 0) + (counts[200] ?? 0)
    t.ok(judged <= 5, `${judged} judged (${JSON.stringify(counts)}): no more than the limit of 5`)
    t.equal(counts[429], 200 - judged, 'every other attempt waits')
    const codes = new Set(await Promise.all(replies.filter((reply) => reply.status === 429).map(codeOf)))
    t.same([...codes], ['rate_limit_exceeded'])
  })

  t.test(`${kind}: 100 concurrent bad keys over two instances: at most the limit are checked`, async (t) => {
    const [a, b] = await pair(t, { failedLoginLimit: 20, failedLoginWindowMs: 60_000 })
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) =>
      send(i % 2 === 0 ? a.url : b.url, { method: 'GET', path: '/v1/models', key: `sk-guess-${randomUUID()}` })))
    const counts = tally(replies.map((reply) => reply.status))
    t.ok((counts[401] ?? 0) <= 20, `${counts[401] ?? 0} checked (${JSON.stringify(counts)}): no more than the limit of 20`)
    t.equal((counts[401] ?? 0) + (counts[429] ?? 0), 100)
    t.equal((await send(a.url, { method: 'GET', path: '/v1/models' })).status, 429, 'the address is locked, on both instances')
    t.equal((await send(b.url, { method: 'GET', path: '/v1/models' })).status, 429)
  })

  t.test(`${kind}: good keys in a burst are never counted as failures`, async (t) => {
    const [a, b] = await pair(t, { failedLoginLimit: 3, failedLoginWindowMs: 60_000 })
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => send(i % 2 === 0 ? a.url : b.url, { method: 'GET', path: '/v1/models' })))
    t.same(tally(replies.map((reply) => reply.status)), { 200: 60 })
  })

  t.test(`${kind}: a right MFA code is not counted against the limit`, async (t) => {
    const [a] = await pair(t, { mfaAttemptLimit: 1, mfaWindowMs: 60_000 })
    const mint = async () => ((await (await send(a.url, { method: 'POST', path: '/v1/projects/proj-demo/keys', body: {} })).json()) as { id: string }).id
    const first = await send(a.url, { method: 'DELETE', path: `/v1/keys/${await mint()}`, headers: { 'x-mfa-recovery-code': 'rc-1111-2222' } })
    t.equal(first.status, 200)
    const second = await send(a.url, { method: 'DELETE', path: `/v1/keys/${await mint()}`, headers: { 'x-mfa-recovery-code': 'rc-3333-4444' } })
    t.equal(second.status, 200, 'with a limit of one, two right codes in a row both pass')
  })

  t.test(`${kind}: a key out of budget cannot get itself a new one`, async (t) => {
    const [a, b] = await pair(t)
    const spend = (url: string, key: string) => send(url, { method: 'POST', path: '/v1/chat/completions', key, body: chat })
    t.equal(await codeOf(await spend(a.url, 'sk-demo-broke')), 'budget_exhausted')
    const create = await send(a.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-broke', body: { id: 'proj-fresh', name: 'Fresh' } })
    t.equal(create.status, 403, 'creating a project (a new budget) is the admin\'s')
    t.same(((await create.json()) as ErrorBody).error.details, { required_scope: 'admin' })
    const mintElsewhere = await send(b.url, { method: 'POST', path: '/v1/projects/proj-default/keys', body: {} })
    t.equal(mintElsewhere.status, 403, 'nor a key for another project of the account (another budget)')
    const mintHere = await send(b.url, { method: 'POST', path: '/v1/projects/proj-broke/keys', key: 'sk-demo-broke', body: {} })
    t.equal(mintHere.status, 201, 'a key for its own project can be made')
    const minted = ((await mintHere.json()) as { secret: string }).secret
    t.equal(await codeOf(await spend(b.url, minted)), 'budget_exhausted', 'and spends from the same, spent, budget')
  })

  t.test(`${kind}: a deleted project keeps what it spent, and its keys die with it`, async (t) => {
    const [a, b] = await pair(t)
    const id = `proj-${randomUUID().slice(0, 8)}`
    t.equal((await send(a.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', body: { id, name: 'Spent', budget_usd: 0.01 } })).status, 201)
    const key = ((await (await send(a.url, { method: 'POST', path: `/v1/projects/${id}/keys`, key: 'sk-demo-admin', body: {} })).json()) as { secret: string }).secret
    t.equal((await send(b.url, { method: 'POST', path: '/v1/chat/completions', key, body: chat })).status, 200, 'the one request the budget allows')
    t.equal(await codeOf(await send(b.url, { method: 'POST', path: '/v1/chat/completions', key, body: chat })), 'budget_exhausted')
    t.equal((await send(a.url, { method: 'DELETE', path: `/v1/projects/${id}`, key: 'sk-demo-admin' })).status, 200)
    t.equal(await codeOf(await send(b.url, { method: 'GET', path: '/v1/models', key })), 'invalid_api_key', 'its key is dead, on every instance')
    t.equal(await codeOf(await send(a.url, { method: 'GET', path: `/v1/projects/${id}`, key: 'sk-demo-admin' })), 'resource_not_found')
    const again = await send(b.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', body: { id, name: 'Spent again' } })
    t.equal(again.status, 409, 'its id is not given out again: its spending cannot start over at zero')
    t.equal(await codeOf(again), 'duplicate_resource')
  })

  t.test(`${kind}: ids are per account: a reused id gets no one's keys, and another account's ids are not confirmed`, async (t) => {
    const [a, b] = await pair(t)
    const id = `proj-${randomUUID().slice(0, 8)}`
    t.equal((await send(a.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', body: { id, name: 'Demo\'s' } })).status, 201)
    const demoKey = ((await (await send(a.url, { method: 'POST', path: `/v1/projects/${id}/keys`, key: 'sk-demo-admin', body: {} })).json()) as { secret: string }).secret
    const other = await send(b.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-broke-admin', body: { id, name: 'Broke\'s', budget_usd: 5 } })
    t.equal(other.status, 201, 'another account may use the same id: its existence elsewhere is not confirmed')
    const probe = await send(b.url, { method: 'POST', path: '/v1/projects', key: 'sk-demo-broke-admin', body: { id: 'proj-demo', name: 'Probe' } })
    t.equal(probe.status, 201, 'not even for the seed\'s ids')
    const view = await send(a.url, { method: 'GET', path: `/v1/projects/${id}`, key: demoKey })
    t.equal(((await view.json()) as { name: string }).name, 'Demo\'s', 'each account sees its own')
    t.equal((await send(a.url, { method: 'POST', path: '/v1/chat/completions', key: demoKey, body: chat })).status, 200)
    const spent = await send(b.url, { method: 'GET', path: `/v1/projects/${id}`, key: 'sk-demo-broke-admin' })
    t.equal(((await spent.json()) as { spent_usd: number }).spent_usd, 0, 'and is billed to its own')
    t.equal((await send(a.url, { method: 'DELETE', path: `/v1/projects/${id}`, key: 'sk-demo-admin' })).status, 200)
    t.equal(await codeOf(await send(a.url, { method: 'GET', path: '/v1/models', key: demoKey })), 'invalid_api_key', 'a deleted project\'s key reaches nothing')
    t.equal((await send(b.url, { method: 'GET', path: `/v1/projects/${id}`, key: 'sk-demo-broke-admin' })).status, 200, 'the other account\'s project is untouched')
  })

  t.test(`${kind}: a minted key gets no fresh rate limit and expires no later than its maker`, async (t) => {
    const [a] = await pair(t, { rateLimitWindowMs: 60_000 })
    const mint = async (key: string, body: Record<string, unknown>) =>
      (await (await send(a.url, { method: 'POST', path: '/v1/projects/proj-demo/keys', key, body })).json()) as { secret: string, expires_at?: string }
    const first = await mint('sk-demo-admin', { rate_limit: 3 })
    t.equal((await send(a.url, { method: 'GET', path: '/v1/models', key: first.secret })).status, 200)
    t.equal((await send(a.url, { method: 'GET', path: '/v1/models', key: first.secret })).status, 200)
    const second = await mint(first.secret, {})
    const limited = await send(a.url, { method: 'GET', path: '/v1/models', key: second.secret })
    t.equal(limited.status, 429, 'the new key counts in its maker\'s window (3 used): no fresh window')
    t.equal(await codeOf(limited), 'rate_limit_exceeded')
    const child = await mint('sk-demo-temporary', {})
    const inSevenDays = Date.parse(String(child.expires_at)) - (Date.now() + 7 * DAY)
    t.ok(inSevenDays <= 0 && inSevenDays > -60_000, `the maker's expiry (in 7 days) is inherited: ${child.expires_at}`)
    t.equal((await mint('sk-demo-full', {})).expires_at, undefined, 'a key that never expires makes keys that do not')
  })
}

onBothStores(suite)
