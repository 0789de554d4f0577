// What a fleet needs from each reply and log line: waits for shared capacity spread by jitter
// (bounded, the same in headers and details), and a cause that repeats logged in full once, then
// counted, one line per interval.
import t, { type Test as Tap } from 'tap'
import Fastify from 'fastify'
import gatewayErrors, { GatewayError } from '../internals'
import { validateBody } from '../helpers'

interface Waited { error: { code: string, details: { retry_after_ms: number } } }

async function appWith (t: Tap, options: Record<string, unknown> = {}, lines: string[] = []) {
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } })
  await app.register(gatewayErrors, options)
  app.get('/busy/:code/:ms', async (request) => {
    const { code, ms } = request.params as { code: 'service_unavailable', ms: string }
    throw new GatewayError(code, { retry_after_ms: Number(ms) })
  })
  t.teardown(() => app.close())
  return app
}

async function waits (app: Awaited<ReturnType<typeof appWith>>, code: string, ms: number, count = 200): Promise<number[]> {
  const seen: number[] = []
  for (let i = 0; i < count; i++) {
    const reply = await app.inject({ url: `/busy/${code}/${ms}` })
    const body = reply.json() as Waited
    const wait = body.error.details.retry_after_ms
    if (Number(reply.headers['retry-after-ms']) !== wait) throw new Error(`header ${String(reply.headers['retry-after-ms'])} != details ${wait}`)
    if (Number(reply.headers['retry-after']) !== Math.ceil(wait / 1000)) throw new Error('retry-after is not the same wait in seconds')
    if (i === 0 && validateBody('openai', body.error.code as 'service_unavailable', body) !== null) throw new Error('not the published schema')
    seen.push(wait)
  }
  return seen
}

t.test('shared-capacity waits are spread: 1–1.5× the wait, the same in headers and details', async (t) => {
  const app = await appWith(t)
  for (const code of ['service_unavailable', 'model_unavailable', 'no_provider_available']) {
    const seen = await waits(app, code, 1000)
    t.ok(seen.every((wait) => wait >= 1000 && wait <= 1500), `${code}: within [1000, 1500] ms`)
    t.ok(new Set(seen).size > 100, `${code}: ${new Set(seen).size} distinct waits of 200`)
    t.ok(Math.max(...seen) - Math.min(...seen) > 350, `${code}: spread over ${Math.max(...seen) - Math.min(...seen)} ms`)
  }
  t.same(new Set(await waits(app, 'rate_limit_exceeded', 1000, 20)), new Set([1000]), 'a per-client limit\'s wait is exact by default')
  t.ok((await waits(app, 'service_unavailable', 58_000, 50)).every((wait) => wait >= 58_000 && wait <= 59_000), 'still capped at 59 s')
})

t.test('retryJitter: codes and ratio of the gateway\'s choice, or false', async (t) => {
  const limiter = await appWith(t, { retryJitter: { ratio: 0.2, codes: ['rate_limit_exceeded'] } })
  const seen = await waits(limiter, 'rate_limit_exceeded', 10_000, 100)
  t.ok(seen.every((wait) => wait >= 10_000 && wait <= 12_000) && new Set(seen).size > 50, 'a shared limiter\'s wait, spread by up to 20%')
  t.same(new Set(await waits(limiter, 'service_unavailable', 1000, 20)), new Set([1000]), 'codes not listed keep exact waits')
  const exact = await appWith(t, { retryJitter: false })
  t.same(new Set(await waits(exact, 'service_unavailable', 1000, 20)), new Set([1000]), 'false: exact waits')
  for (const retryJitter of [{ ratio: 0 }, { ratio: 1.5 }, { ratio: '0.5' }, { codes: 'service_unavailable' }, true, null]) {
    await t.rejects(appWith(t, { retryJitter }), /option 'retryJitter' must be false or/, JSON.stringify(retryJitter))
  }
  await t.rejects(appWith(t, { retryJitter: { codes: ['invalid_request', 'nope'] } }), /not retryable catalog codes: invalid_request, nope/)
})

t.test('a repeating cause is logged in full once, then counted in one line per interval', async (t) => {
  const lines: string[] = []
  const app = await appWith(t, { logRepeatsMs: 200 }, lines)
  let outage = 0
  app.get('/outage', async () => {
    throw new GatewayError('service_unavailable', { retry_after_ms: 1000 }, { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }) })
  })
  app.get('/crash', async () => { throw new TypeError(`cannot read x of undefined (${++outage % 2})`) })
  const parsed = () => lines.map((line) => JSON.parse(line) as { level: number, msg: string, repeated?: number, err?: { stack?: string }, cause?: string, code?: string })
  for (let i = 0; i < 500; i++) await app.inject({ url: '/outage' })
  for (let i = 0; i < 300; i++) await app.inject({ url: '/crash' })
  const full = parsed().filter((line) => line.err !== undefined)
  t.equal(full.filter((line) => line.code === 'service_unavailable' || /service_unavailable/.test(line.msg)).length, 1, '500 outage replies: one full line, with the stack')
  t.match(full[0]?.err?.stack, /ECONNREFUSED/)
  t.equal(full.filter((line) => /unexpected error/.test(line.msg)).length, 2, '300 crashes of two distinct messages: two full lines')
  await new Promise((resolve) => setTimeout(resolve, 260))
  const counted = parsed().filter((line) => line.repeated !== undefined)
  t.same(counted.map((line) => line.repeated).sort((a, b) => (a ?? 0) - (b ?? 0)), [149, 149, 499], 'then one line per cause with the count')
  t.ok(counted.every((line) => line.err === undefined && typeof line.cause === 'string'), 'naming the cause, without the stack')
  t.match(counted.find((line) => line.repeated === 499), { level: 40, code: 'service_unavailable', cause: /ECONNREFUSED: connect ECONNREFUSED/ })
  await new Promise((resolve) => setTimeout(resolve, 450))
  const before = lines.length
  await app.inject({ url: '/outage' })
  t.equal(parsed().slice(before).filter((line) => line.err !== undefined).length, 1, 'a cause that went quiet is logged in full again when it returns')
  const warnings = parsed().filter((line) => line.level >= 40).length
  t.ok(warnings <= 7, `${warnings} warning and error lines in all for 801 errors (beside Fastify's own request lines)`)
})

t.test('logRepeatsMs: false logs every occurrence; past 1,000 causes, new ones are counted together', async (t) => {
  const lines: string[] = []
  const app = await appWith(t, { logRepeatsMs: false }, lines)
  app.get('/outage', async () => { throw new GatewayError('service_unavailable', undefined, { cause: new Error('down') }) })
  for (let i = 0; i < 20; i++) await app.inject({ url: '/outage' })
  t.equal(lines.filter((line) => line.includes('"stack"')).length, 20)

  const many: string[] = []
  const flood = await appWith(t, { logRepeatsMs: 60_000 }, many)
  let n = 0
  flood.get('/unique', async () => { throw new GatewayError('upstream_error', undefined, { cause: new Error(`unique ${n++}`) }) })
  for (let i = 0; i < 1100; i++) await flood.inject({ url: '/unique' })
  t.equal(many.filter((line) => line.includes('"stack"')).length, 1000, 'the first 1,000 distinct causes in full, then none')
  await flood.close()
  const overflow = many.map((line) => JSON.parse(line) as { repeated?: number, cause?: string }).find((line) => line.repeated !== undefined)
  t.match(overflow, { repeated: 99, cause: /other causes/ }, 'the 100 beyond them counted on one line, flushed at close')
  for (const logRepeatsMs of [0, 99, 1.5, '10000', true]) {
    await t.rejects(appWith(t, { logRepeatsMs }), /option 'logRepeatsMs' must be false or a whole number of ms/)
  }
})

t.test('a rate limit of zero is insufficient_quota, not retried', async (t) => {
  const app = await appWith(t)
  app.get('/zero', async () => { throw new GatewayError('rate_limit_exceeded', { limit: 0, retry_after_ms: 59_000 }) })
  for (const url of ['/zero']) {
    const reply = await app.inject({ url })
    t.equal(reply.statusCode, 429)
    const body = reply.json() as { error: { code: string, retryable: boolean } }
    t.equal(body.error.code, 'insufficient_quota', `${url}: insufficient_quota`)
    t.equal(body.error.retryable, false)
    t.equal(reply.headers['x-should-retry'], 'false', `${url}: no retry advised`)
    t.equal(reply.headers['retry-after'], undefined, `${url}: no wait to sleep`)
    t.equal(validateBody('openai', 'insufficient_quota', body), null)
  }
  const plain = await app.inject({ url: '/busy/rate_limit_exceeded/3600000' })
  t.equal((plain.json() as Waited).error.code, 'rate_limit_exceeded', 'a limit above zero is a rate limit, however long its wait')
})
