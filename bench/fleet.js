'use strict'
// `npm run load`: the example gateway as a fleet under load and faults, on 127.0.0.1 only: two
// instances on one redis-server this script starts, clients that honour the waits they are told.
//   1. steady: mixed requests (successes, streams, every catalog code the example produces);
//   2. outage: Redis stopped for FLEET_OUTAGE_SECONDS (10) under the same load;
//   3. kill: one instance SIGKILLed mid-stream, restarted; the ledger read once the leases expire.
// Prints requests, p50/p99, replies outside the catalog (must be 0), distinct request ids (must
// equal the requests), how client retries spread during the outage, log lines per 10 s of outage,
// and what was charged against what clients received after the kill. Exit code 1 on a failure.
const { fork } = require('node:child_process')
const { request, Agent } = require('node:http')
const { join } = require('node:path')
const { isGatewayErrorCode, catalog } = require('fastify-gateway-errors')
const { requests } = require('../examples/dist/gateway/requests')
const { startRedisServer } = require('../test/example/redis-server')

const STEADY_S = Number(process.env.FLEET_STEADY_SECONDS ?? 20)
const OUTAGE_S = Number(process.env.FLEET_OUTAGE_SECONDS ?? 10)
const CLIENTS = Number(process.env.FLEET_CLIENTS ?? 48)
const LEASE_MS = 3000
const STREAM_MODEL = process.env.FLEET_STREAM_MODEL ?? 'demo-slow-stream'
// FLEET_IGNORE_WAITS=1: clients that retry at once, as a misbehaving fleet does (the worst case for logs)
const HONOUR_WAITS = process.env.FLEET_IGNORE_WAITS !== '1'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const agent = new Agent({ keepAlive: true, maxSockets: 256 })

function startInstance (redisUrl, port = 0) {
  const child = fork(join(__dirname, 'fleet-child.js'), [], {
    env: { ...process.env, FLEET_REDIS_URL: redisUrl, FLEET_PORT: String(port), FLEET_LEASE_MS: String(LEASE_MS) },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc']
  })
  const instance = { child, port: 0, logLines: [] }
  let partial = ''
  child.stdout.on('data', (data) => {
    const text = partial + data.toString()
    const lines = text.split('\n')
    partial = lines.pop()
    const at = Date.now()
    for (const line of lines) if (line !== '') instance.logLines.push({ at, level: /"level":(\d+)/.exec(line)?.[1] })
  })
  return new Promise((resolve) => child.once('message', ({ port }) => { instance.port = port; resolve(instance) }))
}

const stats = (instance) => new Promise((resolve) => { instance.child.once('message', resolve); instance.child.send('stats') })

/** One HTTP exchange; the body read whole (a stream's tokens counted). */
function call (port, { method, path, headers = {}, body }) {
  return new Promise((resolve) => {
    const started = performance.now()
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent, timeout: 15_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, ms: performance.now() - started }))
      res.on('error', () => resolve({ status: res.statusCode, headers: res.headers, text, ms: performance.now() - started, cut: true }))
      res.on('aborted', () => resolve({ status: res.statusCode, headers: res.headers, text, ms: performance.now() - started, cut: true }))
    })
    req.on('error', () => resolve({ status: 0, headers: {}, text: '', ms: performance.now() - started }))
    req.on('timeout', () => req.destroy())
    req.end(body)
  })
}

const json = (method, path, key, body) => ({
  method,
  path,
  body: body === undefined ? undefined : JSON.stringify(body),
  headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }
})
const chat = (key, model = 'demo-chat', stream = false) => json('POST', '/v1/chat/completions', key, { model, stream, messages: [{ role: 'user', content: 'Hello' }] })

/** Content tokens a stream carried (each chunk with delta content is one token of the demo's). */
const tokensIn = (text) => (text.match(/"delta":\{"content":/g) ?? []).length

function percentile (sorted, p) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

async function main () {
  const redis = await startRedisServer()
  let [a, b] = await Promise.all([startInstance(redis.url), startInstance(redis.url)])
  const ports = () => [a.port, b.port]

  // A project of the load, its keys (each key has its own rate-limit window), and the catalog mix.
  const project = `proj-load-${Date.now().toString(36)}`
  await call(a.port, json('POST', '/v1/projects', 'sk-demo-admin', { id: project, name: 'Load', budget_usd: 1_000_000 }))
  const keys = []
  for (let i = 0; i < 16; i++) keys.push(JSON.parse((await call(b.port, json('POST', `/v1/projects/${project}/keys`, 'sk-demo-admin', {}))).text).secret)
  const errorMix = Object.entries(requests)
    .filter(([code]) => !['upstream_timeout', 'payload_too_large', 'duplicate_resource', 'idempotency_conflict', 'rate_limit_exceeded'].includes(code))
    .map(([, r]) => ({ method: r.method, path: r.path, body: r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body)), headers: { authorization: `Bearer ${r.key ?? 'sk-demo-full'}`, ...(r.body !== undefined || r.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...r.headers } }))

  const tally = { requests: 0, nonCatalog: 0, nonCatalogSamples: [], ids: new Set(), latencies: [], byStatus: {} }
  const outage = { active: false, startedAt: 0, endedAt: 0, waits: [], retryAt: [] }
  let phase = 'steady'
  const running = { load: true, kill: true }

  function check (reply) {
    tally.requests++
    tally.byStatus[reply.status] = (tally.byStatus[reply.status] ?? 0) + 1
    tally.latencies.push(reply.ms)
    const id = reply.headers['x-request-id']
    if (typeof id === 'string') tally.ids.add(id)
    if (reply.status === 0 || reply.status >= 400) {
      let code
      try { code = JSON.parse(reply.text).error?.code } catch {}
      if (!(isGatewayErrorCode(code) && catalog[code].status === reply.status)) {
        tally.nonCatalog++
        if (tally.nonCatalogSamples.length < 5) tally.nonCatalogSamples.push(`${reply.status} ${reply.text.slice(0, 120)}`)
      }
    }
  }

  async function client (n) {
    let i = n
    while (running.load) {
      i++
      const key = keys[i % keys.length]
      const pick = i % 10
      const spec = pick < 4 ? chat(key) : pick < 6 ? json('GET', '/v1/models', key) : pick < 7 ? chat(key, 'demo-chat', true) : errorMix[i % errorMix.length]
      const reply = await call(ports()[i % 2], spec)
      check(reply)
      const wait = Number(reply.headers['retry-after-ms'])
      if (reply.status === 503 && Number.isFinite(wait)) {
        // A client that honours the wait it is told, as the openai and Anthropic SDKs do.
        if (outage.active) { outage.waits.push(wait); outage.retryAt.push(Date.now() + wait) }
        if (HONOUR_WAITS) await sleep(wait)
      } else if (reply.status === 429 && Number.isFinite(wait)) {
        await sleep(Math.min(wait, 2000))
      }
      if (phase === 'kill') await sleep(5)
    }
  }

  const started = Date.now()
  const clients = Array.from({ length: CLIENTS }, (_, n) => client(n))
  await sleep(STEADY_S * 1000)

  phase = 'outage'
  const logsBefore = [a.logLines.length, b.logLines.length]
  outage.active = true
  outage.startedAt = Date.now()
  await redis.stop()
  await sleep(OUTAGE_S * 1000)
  outage.active = false
  outage.endedAt = Date.now()
  const outageLog = [a, b].map((instance, i) => instance.logLines.slice(logsBefore[i]).filter((line) => line.at <= outage.endedAt))
  await redis.start()
  const recoveryStarted = Date.now()
  let recoveredMs
  while (recoveredMs === undefined && Date.now() - recoveryStarted < 10_000) {
    if ((await call(a.port, chat(keys[0]))).status === 200) recoveredMs = Date.now() - recoveryStarted
    else await sleep(20)
  }
  await sleep(2000)
  running.load = false
  await Promise.all(clients)
  const loadSeconds = (Date.now() - started) / 1000

  // The kill: slow streams (three tokens, 300 ms apart) and JSON requests on a project of their own,
  // to both instances; instance A is killed mid-stream and restarted.
  phase = 'kill'
  const killProject = `proj-kill-${Date.now().toString(36)}`
  await call(b.port, json('POST', '/v1/projects', 'sk-demo-admin', { id: killProject, name: 'Kill', budget_usd: 1_000_000 }))
  const killKey = JSON.parse((await call(b.port, json('POST', `/v1/projects/${killProject}/keys`, 'sk-demo-admin', {}))).text).secret
  const received = { jsonServed: 0, streamTokens: 0, streamsComplete: 0, streamsCut: 0, failed: 0 }
  const killClients = Array.from({ length: 16 }, async (_, n) => {
    let i = n
    while (running.kill) {
      i++
      const stream = i % 2 === 0
      const reply = await call(i % 4 < 2 ? a.port : b.port, chat(killKey, stream ? STREAM_MODEL : 'demo-chat', stream))
      if (reply.status !== 200) { received.failed++; await sleep(50); continue }
      if (!stream) { received.jsonServed++; continue }
      const tokens = tokensIn(reply.text)
      const complete = reply.text.includes('[DONE]')
      received.streamTokens += complete ? 3 : tokens
      if (complete) received.streamsComplete++
      else received.streamsCut++
    }
  })
  const killStartedAt = Date.now()
  await sleep(1500)
  a.child.kill('SIGKILL')
  const killedAt = Date.now()
  await sleep(500)
  running.kill = false
  await Promise.all(killClients)
  a = await startInstance(redis.url)
  await sleep(LEASE_MS * 2 + 500) // every lease of the dead instance has expired and been swept
  const view = JSON.parse((await call(b.port, json('GET', `/v1/projects/${killProject}`, 'sk-demo-admin'))).text)
  const chargedMicros = Math.round(view.spent_usd * 1e6)
  const deliveredMicros = received.jsonServed * 10_000 + received.streamTokens * 1_000
  const Redis = require('ioredis')
  const peek = new Redis(redis.url)
  const stranded = await peek.zcard('fleet:leases')
  peek.disconnect()

  const [statsA, statsB] = await Promise.all([stats(a), stats(b)])
  a.child.disconnect()
  b.child.disconnect()
  await redis.remove()

  const sorted = tally.latencies.sort((x, y) => x - y)
  const waits = [...outage.waits].sort((x, y) => x - y)
  // Where in each second the outage's retries land: all in one 100 ms slot is a storm; 10% per slot is even.
  const slots = Array(10).fill(0)
  for (const at of outage.retryAt) slots[Math.floor((at % 1000) / 100)]++
  const retries = outage.retryAt.length
  const per10s = (lines) => Math.round(lines.length / OUTAGE_S * 10)
  const report = {
    seconds: Math.round(loadSeconds),
    clients: CLIENTS,
    requests: tally.requests,
    perSecond: Math.round(tally.requests / loadSeconds),
    latencyMs: { p50: Math.round(percentile(sorted, 0.5) * 10) / 10, p99: Math.round(percentile(sorted, 0.99) * 10) / 10 },
    byStatus: tally.byStatus,
    nonCatalogReplies: tally.nonCatalog,
    nonCatalogSamples: tally.nonCatalogSamples,
    distinctRequestIds: tally.ids.size,
    outage: {
      seconds: OUTAGE_S,
      retries,
      distinctWaits: new Set(waits).size,
      waitMs: { min: waits[0], p10: percentile(waits, 0.1), p50: percentile(waits, 0.5), p90: percentile(waits, 0.9), max: waits.at(-1) },
      busiest100msSlotShare: retries === 0 ? 0 : Math.round(Math.max(...slots) / retries * 1000) / 10,
      logLinesPer10s: outageLog.map(per10s),
      warnOrWorseLinesPer10s: outageLog.map((lines) => per10s(lines.filter((line) => Number(line.level) >= 40))),
      recoveredWithinMs: recoveredMs
    },
    kill: {
      killedAfterMs: killedAt - killStartedAt,
      received,
      chargedMicros,
      deliveredMicros,
      overchargedMicros: chargedMicros - deliveredMicros,
      strandedReservations: stranded
    },
    crashes: statsA.uncaughtExceptions + statsB.uncaughtExceptions,
    unhandledRejections: statsA.unhandledRejections + statsB.unhandledRejections
  }
  console.log(JSON.stringify(report, null, 2))
  const failed = tally.nonCatalog > 0 || tally.ids.size !== tally.requests || report.crashes > 0 || report.unhandledRejections > 0 || stranded > 0
  if (failed) process.exitCode = 1
}

main().catch((error) => { console.error(error); process.exit(1) })
