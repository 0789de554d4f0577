'use strict'
// `npm run load`: a bounded load of mixed error requests (every catalog code the example gateway
// produces) for LOAD_SECONDS (default 60) on 127.0.0.1, while upstreams hang, fail midway and return
// garbage, and other clients abort mid-request and mid-stream. Reports requests served, replies
// that are not catalog errors (must be 0), crashes and unhandled rejections (0), p99 latency, and
// RSS at start and end.
const { fork } = require('node:child_process')
const { request } = require('node:http')
const { join } = require('node:path')
const autocannon = require('autocannon')
const { isGatewayErrorCode, catalog } = require('fastify-gateway-errors')
const requests = require('../examples/dist/gateway/requests').requests

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60)

function child () {
  return new Promise((resolve) => {
    const gateway = fork(join(__dirname, 'gateway-child.js'), [], { execArgv: ['--expose-gc'] })
    gateway.once('message', ({ port }) => resolve({ gateway, port }))
  })
}

const stats = (gateway) => new Promise((resolve) => { gateway.once('message', resolve); gateway.send('stats') })

/** Clients that give up: abort a hanging upstream call, or a stream after its first bytes. */
async function abortingClients (port, until) {
  let aborted = 0
  while (Date.now() < until) {
    await Promise.all([['demo-slow', false], ['demo-chat', true]].map(([model, stream]) => new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', headers: { authorization: 'Bearer sk-demo-full', 'content-type': 'application/json' } })
      req.on('error', () => resolve())
      req.on('response', (res) => res.once('data', () => { req.destroy(); aborted++; resolve() }))
      req.end(JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }))
      setTimeout(() => { req.destroy(); aborted++; resolve() }, 50)
    })))
  }
  return aborted
}

async function main () {
  const { gateway, port } = await child()
  const start = await stats(gateway)
  let catalogErrors = 0; let successes = 0; let nonCatalog = 0
  const samples = []
  const mixed = Object.values(requests).map((r) => ({
    method: r.method,
    path: r.path,
    headers: { authorization: `Bearer ${r.key ?? 'sk-demo-full'}`, ...(r.body !== undefined || r.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...r.headers },
    body: r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body)),
    onResponse: (status, body) => {
      if (status < 400) { successes++; return }
      try {
        const code = JSON.parse(body).error?.code
        if (isGatewayErrorCode(code) && catalog[code].status === status) catalogErrors++
        else nonCatalog++
      } catch { nonCatalog++ }
    }
  }))
  const until = Date.now() + SECONDS * 1000
  const sampler = setInterval(async () => samples.push((await stats(gateway)).rssMB), 5000)
  const [result, aborted] = await Promise.all([
    autocannon({ url: `http://127.0.0.1:${port}`, connections: 32, duration: SECONDS, requests: mixed, timeout: 10 }),
    abortingClients(port, until)
  ])
  clearInterval(sampler)
  const end = await stats(gateway)
  gateway.disconnect()
  const report = {
    seconds: SECONDS,
    requests: result.requests.total,
    perSecond: Math.round(result.requests.average),
    catalogErrors,
    successes,
    nonCatalogReplies: nonCatalog,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    abortedClients: aborted,
    crashes: end.uncaughtExceptions,
    unhandledRejections: end.unhandledRejections,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    rssMB: { start: Math.round(start.rssMB), end: Math.round(end.rssMB), samples: samples.map(Math.round) },
    heapAfterGcMB: { start: Math.round(start.heapMB * 10) / 10, end: Math.round(end.heapMB * 10) / 10 }
  }
  console.log(JSON.stringify(report, null, 2))
  if (nonCatalog > 0 || end.uncaughtExceptions > 0 || end.unhandledRejections > 0) process.exitCode = 1
}

main()
