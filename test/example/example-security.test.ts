// The example gateway is a template users copy: keys and projects belong to an account, MFA codes
// are per account and single use with a lockout, keys are named by id. Run on both stores.
import t, { type Test as Tap } from 'tap'
import { send, startGateway, type Gateway, type HarnessOptions } from './gateway-harness'
import { onBothStores } from './both-stores'
import { demoSeed } from '../../examples/gateway/store/seed'
import { totp, totpStep } from '../../examples/gateway/totp'

interface ErrorBody { error: { code: string, details?: Record<string, unknown> } }

const secretOf = (account: string) => demoSeed().accounts.find((entry) => entry.id === account)?.mfaSecret as string

async function code (response: Response): Promise<string> {
  return ((await response.json()) as ErrorBody).error.code
}

function suite (store: 'memory' | 'redis', redisUrl: () => string | undefined) {
  async function gateway (t: Tap, options: HarnessOptions = {}): Promise<Gateway> {
    const started = await startGateway({ redisUrl: redisUrl(), ...options })
    t.teardown(() => started.close())
    return started
  }

  async function newKey (t: Tap, g: Gateway, key = 'sk-demo-full', project = 'proj-demo'): Promise<{ id: string, secret: string }> {
    const response = await send(g.url, { method: 'POST', path: `/v1/projects/${project}/keys`, key, body: {} })
    t.equal(response.status, 201)
    return await response.json() as { id: string, secret: string }
  }

  t.test(`${store}: another account's keys and projects cannot be read, changed or deleted`, async (t) => {
    const g = await gateway(t)
    const broke = { key: 'sk-demo-broke', headers: { 'x-mfa-code': totp(secretOf('acct-broke')) } }
    const deleted = await send(g.url, { method: 'DELETE', path: '/v1/keys/key_demo_noquota', ...broke })
    t.equal(deleted.status, 404, 'another account\'s key: not found, even with a valid code')
    t.equal(await code(deleted), 'resource_not_found')
    const stillThere = await send(g.url, { method: 'GET', path: '/v1/models', key: 'sk-demo-noquota' })
    t.equal(stillThere.status, 200, 'and the key still works')
    for (const [method, body] of [['GET', undefined], ['PATCH', { name: 'Mine now' }], ['DELETE', undefined]] as const) {
      const response = await send(g.url, { method, path: '/v1/projects/proj-demo', key: 'sk-demo-broke', ...(body === undefined ? {} : { body }) })
      t.equal(response.status, 404, `${method} another account's project: not found`)
    }
    const renamed = await send(g.url, { method: 'GET', path: '/v1/projects/proj-demo' })
    t.equal(((await renamed.json()) as { name: string }).name, 'Demo', 'its name unchanged')
    const keyForOther = await send(g.url, { method: 'POST', path: '/v1/projects/proj-broke/keys', body: {} })
    t.equal(keyForOther.status, 404, 'no key can be made for another account\'s project')
  })

  t.test(`${store}: a key cannot raise its own budget, nor grant scopes it lacks`, async (t) => {
    const g = await gateway(t)
    const raise = await send(g.url, { method: 'PATCH', path: '/v1/projects/proj-broke', key: 'sk-demo-broke', body: { budget_usd: 1e12 } })
    t.equal(raise.status, 403)
    const body = await raise.json() as ErrorBody
    t.equal(body.error.code, 'insufficient_permissions')
    t.same(body.error.details, { required_scope: 'admin' })
    const chat = await send(g.url, { method: 'POST', path: '/v1/chat/completions', key: 'sk-demo-broke', body: { model: 'demo-chat', messages: [{ role: 'user', content: 'hi' }] } })
    t.equal(await code(chat), 'budget_exhausted', 'still out of budget')
    const create = await send(g.url, { method: 'POST', path: '/v1/projects', body: { id: 'proj-rich', name: 'Rich', budget_usd: 1e9 } })
    t.equal(create.status, 403, 'nor set one on a new project')
    const escalate = await send(g.url, { method: 'POST', path: '/v1/projects/proj-demo/keys', body: { scopes: ['chat', 'admin'] } })
    t.equal(escalate.status, 403, 'a key without admin cannot make one with it')
    const admin = await send(g.url, { method: 'PATCH', path: '/v1/projects/proj-demo', key: 'sk-demo-admin', body: { budget_usd: 250 } })
    t.equal(admin.status, 200, 'the account\'s admin key can')
    t.equal(((await admin.json()) as { budget_usd: number }).budget_usd, 250)
  })

  t.test(`${store}: keys are named by id; the secret is shown once and never in a URL`, async (t) => {
    const g = await gateway(t)
    const created = await newKey(t, g)
    t.match(created.id, /^key_[A-Za-z0-9_-]+$/)
    t.match(created.secret, /^sk-[A-Za-z0-9_-]{20,}$/)
    t.equal((await send(g.url, { method: 'GET', path: '/v1/models', key: created.secret })).status, 200, 'the new key works')
    const bare = await fetch(`${g.url}/v1/projects/proj-demo/keys`, { method: 'POST', headers: { authorization: 'Bearer sk-demo-full' } })
    t.equal(bare.status, 201, 'a POST without a body makes a key with the defaults')
    const bySecret = await send(g.url, { method: 'DELETE', path: `/v1/keys/${created.secret}`, headers: { 'x-mfa-recovery-code': 'rc-1111-2222' } })
    t.equal(bySecret.status, 404, 'a secret is no key id')
    t.notMatch(await bySecret.text(), created.secret.slice(3), 'and is not echoed')
    const byId = await send(g.url, { method: 'DELETE', path: `/v1/keys/${created.id}`, headers: { 'x-mfa-code': totp(secretOf('acct-demo')) } })
    t.equal(byId.status, 200)
    t.equal((await send(g.url, { method: 'GET', path: '/v1/models', key: created.secret })).status, 401, 'the deleted key is refused')
  })

  t.test(`${store}: a TOTP code works once, for its own account, within a minute`, async (t) => {
    const g = await gateway(t)
    const first = await newKey(t, g)
    const second = await newKey(t, g)
    const now = totp(secretOf('acct-demo'))
    const use = (id: string, mfa: string, key = 'sk-demo-full') => send(g.url, { method: 'DELETE', path: `/v1/keys/${id}`, key, headers: { 'x-mfa-code': mfa } })
    t.equal((await use(first.id, now)).status, 200, 'the current code')
    const replay = await use(second.id, now)
    t.equal(replay.status, 401, 'the same code again')
    t.equal(await code(replay), 'mfa_verification_failed')
    const stale = await use(second.id, totp(secretOf('acct-demo'), totpStep() - 3))
    t.equal(stale.status, 401, 'a code from 90 s ago')
    const future = await use(second.id, totp(secretOf('acct-demo'), totpStep() + 1))
    t.equal(future.status, 401, 'a code of the next step')
    const otherAccount = await send(g.url, { method: 'DELETE', path: '/v1/keys/key_demo_broke', key: 'sk-demo-broke', headers: { 'x-mfa-code': totp(secretOf('acct-demo'), totpStep()) } })
    t.equal(otherAccount.status, 401, 'another account\'s code: each account has its own secret')
    const recovery = await send(g.url, { method: 'DELETE', path: `/v1/keys/${second.id}`, headers: { 'x-mfa-recovery-code': 'rc-3333-4444' } })
    t.equal(recovery.status, 200, 'a recovery code')
    const third = await newKey(t, g)
    const reused = await send(g.url, { method: 'DELETE', path: `/v1/keys/${third.id}`, headers: { 'x-mfa-recovery-code': 'rc-3333-4444' } })
    t.equal(await code(reused), 'invalid_recovery_code', 'works once')
  })

  t.test(`${store}: wrong MFA codes lock the account's MFA with a wait`, async (t) => {
    const g = await gateway(t, { mfaAttemptLimit: 5, mfaWindowMs: 500 })
    const target = await newKey(t, g)
    const attempt = (headers: Record<string, string>) => send(g.url, { method: 'DELETE', path: `/v1/keys/${target.id}`, headers })
    const wrong = []
    for (let i = 0; i < 3; i++) wrong.push(await code(await attempt({ 'x-mfa-code': String(100000 + i) })))
    for (let i = 0; i < 2; i++) wrong.push(await code(await attempt({ 'x-mfa-recovery-code': `rc-0000-000${i}` })))
    t.same(wrong, ['mfa_verification_failed', 'mfa_verification_failed', 'mfa_verification_failed', 'invalid_recovery_code', 'invalid_recovery_code'])
    const locked = await attempt({ 'x-mfa-code': totp(secretOf('acct-demo')) })
    t.equal(locked.status, 429, 'past the limit even the right code waits')
    t.equal(await code(locked), 'rate_limit_exceeded')
    const wait = Number(locked.headers.get('retry-after-ms'))
    t.ok(wait > 0 && wait <= 500, `with the wait (${wait} ms)`)
    const otherAccount = await send(g.url, { method: 'DELETE', path: '/v1/keys/key_demo_broke', key: 'sk-demo-broke', headers: { 'x-mfa-code': totp(secretOf('acct-broke')) } })
    t.equal(otherAccount.status, 200, 'another account is not locked')
    await new Promise((resolve) => setTimeout(resolve, wait + 50))
    t.equal((await attempt({ 'x-mfa-code': totp(secretOf('acct-demo')) })).status, 200, 'after the wait, the right code works')
  })
}

onBothStores(suite)
