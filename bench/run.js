'use strict'
// `npm run bench`: the error path against hand-written replies and common baselines, side by side,
// alternating A and B in rounds and reporting the median ratio. Writes bench/results.json.
const { fork, spawnSync } = require('node:child_process')
const { writeFileSync } = require('node:fs')
const { join } = require('node:path')
const autocannon = require('autocannon')
const { pluginApp, baselineApp } = require('./apps')
const { measureSuccessPath } = require('./success')
const { measureInstructions, measureErrorInstructions } = require('./instructions')
const { measureTranslation } = require('./translate')
const { measureStreams } = require('./streams')

const QUICK = process.argv.includes('--quick')
const ROUNDS = QUICK ? 3 : 5
// inject is noisy here (GC pauses from the retention noted at `soak`): many short alternating
// rounds, and the median of their ratios.
const INJECT_ROUNDS = QUICK ? 11 : 31
const INJECTS = QUICK ? 500 : 1000
const LOAD_SECONDS = QUICK ? 1 : 3
const SOAK = QUICK ? 100_000 : 1_000_000

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function injectRate (app, request, count) {
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) {
    const res = await app.inject(request)
    if (res.statusCode < 400) throw new Error(`unexpected ${res.statusCode} for ${request.url}`)
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9)
}

/** Alternates A and B, `ROUNDS` times each, and returns rates and the median of per-round ratios. */
async function compareInject (a, b) {
  await injectRate(a.app, a.request, INJECTS)
  await injectRate(b.app, b.request, INJECTS)
  const ratios = []; const ratesA = []; const ratesB = []
  for (let round = 0; round < INJECT_ROUNDS; round++) {
    // ABBA: whichever runs second in a round is not always the same side
    const first = round % 2 === 0 ? await injectRate(a.app, a.request, INJECTS) : await injectRate(b.app, b.request, INJECTS)
    const second = round % 2 === 0 ? await injectRate(b.app, b.request, INJECTS) : await injectRate(a.app, a.request, INJECTS)
    const [rateA, rateB] = round % 2 === 0 ? [first, second] : [second, first]
    ratesA.push(rateA); ratesB.push(rateB); ratios.push(rateA / rateB)
  }
  return { a: median(ratesA), b: median(ratesB), ratio: median(ratios) }
}

function startServer (kind, execArgv = []) {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'server.js'), [kind], { execArgv })
    child.once('message', ({ port }) => resolve({ child, port }))
    child.once('error', reject)
  })
}

async function loadRate (port, path, method = 'GET') {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method,
    connections: 50,
    duration: LOAD_SECONDS,
    ...(method === 'POST' ? { body: '{"messages":[]}', headers: { 'content-type': 'application/json' } } : {})
  })
  if (result.non2xx === 0 || result.errors > 0) throw new Error(`unexpected replies from ${path}`)
  return result.requests.average
}

async function compareLoad (a, b) {
  const ratios = []; const ratesA = []; const ratesB = []
  for (let round = 0; round < ROUNDS; round++) {
    const first = round % 2 === 0 ? await loadRate(a.port, a.path, a.method) : await loadRate(b.port, b.path, b.method)
    const second = round % 2 === 0 ? await loadRate(b.port, b.path, b.method) : await loadRate(a.port, a.path, a.method)
    const [rateA, rateB] = round % 2 === 0 ? [first, second] : [second, first]
    ratesA.push(rateA); ratesB.push(rateB); ratios.push(rateA / rateB)
  }
  return { a: median(ratesA), b: median(ratesB), ratio: median(ratios) }
}

function startupOnce (kind, shape, count) {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'startup.js'), [kind, shape, String(count)], { execArgv: ['--expose-gc'] })
    child.once('message', resolve)
    child.once('error', reject)
  })
}

async function compareStartup (kind, shape = 'response', count = 1000) {
  const time = []; const heap = []; const plugin = []; const plain = []
  for (let round = 0; round < (QUICK ? 2 : 5); round++) {
    const a = await startupOnce(kind, shape, count)
    const b = await startupOnce('plain', shape, count)
    plugin.push(a); plain.push(b)
    time.push(a.ms / b.ms); heap.push(a.heap / b.heap)
  }
  return {
    plugin: { ms: median(plugin.map((r) => r.ms)), heapMB: median(plugin.map((r) => r.heap)) / 2 ** 20 },
    plain: { ms: median(plain.map((r) => r.ms)), heapMB: median(plain.map((r) => r.heap)) / 2 ** 20 },
    timeRatio: median(time),
    heapRatio: median(heap)
  }
}

// Over real sockets: light-my-request's inject retains every response on this Node/Fastify version
// (≈ 9 KB each, with or without this plugin), which would hide the plugin's own footprint.
async function soak () {
  const server = await startServer('plugin', ['--expose-gc'])
  const heap = () => new Promise((resolve) => { server.child.once('message', resolve); server.child.send('heap') })
  const requests = [
    { method: 'GET', path: '/gateway-error' },
    { method: 'GET', path: '/thrown' },
    { method: 'POST', path: '/validation', body: '{"messages":[]}', headers: { 'content-type': 'application/json' } },
    { method: 'GET', path: '/no-such-route' }
  ]
  const samples = [await heap()]
  const chunk = SOAK / 10
  for (let i = 0; i < 10; i++) {
    const result = await autocannon({ url: `http://127.0.0.1:${server.port}`, connections: 50, amount: chunk, requests })
    if (result['2xx'] !== 0 || result.errors !== 0) throw new Error('soak: a reply that is not an error')
    samples.push(await heap())
  }
  server.child.disconnect()
  const heapMB = samples.map((s) => Math.round(s.heapMB * 10) / 10)
  return { replies: SOAK, heapMB, rssMB: samples.map((s) => Math.round(s.rssMB)), growthMB: heapMB[heapMB.length - 1] - heapMB[1] }
}

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

const hand = ['plugin', { method: 'GET', url: '/hand-written' }]
const thrown = ['plugin', { method: 'GET', url: '/thrown' }]
const invalid = { method: 'POST', url: '/validation', payload: { messages: [] } }
const INJECT_CASES = {
  'gatewayError vs hand-written': [['plugin', { method: 'GET', url: '/gateway-error' }], hand, 1.0],
  'thrown GatewayError vs hand-written': [thrown, hand, 0.95],
  'thrown GatewayError vs sensible reply.notFound()': [thrown, ['baseline', { method: 'GET', url: '/sensible-reply' }], 2],
  'thrown GatewayError vs thrown httpErrors.notFound()': [thrown, ['baseline', { method: 'GET', url: '/sensible-thrown' }], 2],
  'validation → missing_required_parameter vs Fastify default 400': [['plugin', invalid], ['baseline', invalid], undefined]
}

// Each inject comparison runs in a fresh process: inject retains every response (see soak), and
// the growing heap would slow whichever side runs later.
function inChild (name) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--inject-case', name, ...(QUICK ? ['--quick'] : [])])
    child.once('message', resolve)
    child.once('error', reject)
  })
}

async function injectCase (name) {
  const apps = { plugin: pluginApp(), baseline: baselineApp() }
  await apps.plugin.ready(); await apps.baseline.ready()
  const [[appA, requestA], [appB, requestB]] = INJECT_CASES[name]
  process.send(await compareInject({ app: apps[appA], request: requestA }, { app: apps[appB], request: requestB }))
  await apps.plugin.close(); await apps.baseline.close()
}

async function main () {
  const results = { date: new Date().toISOString(), node: process.version, quick: QUICK, inject: {}, load: {} }
  for (const [name, [, , goal]] of Object.entries(INJECT_CASES)) {
    results.inject[name] = { ...await inChild(name), goal }
    process.stdout.write('.')
  }

  const pluginServer = await startServer('plugin'); const baselineServer = await startServer('baseline')
  const p = pluginServer.port; const s = baselineServer.port
  const loads = {
    'gatewayError vs hand-written': [{ port: p, path: '/gateway-error' }, { port: p, path: '/hand-written' }, 1.0],
    'thrown GatewayError vs hand-written': [{ port: p, path: '/thrown' }, { port: p, path: '/hand-written' }, 0.95],
    'thrown GatewayError vs sensible reply.notFound()': [{ port: p, path: '/thrown' }, { port: s, path: '/sensible-reply' }, 2],
    'thrown GatewayError vs thrown httpErrors.notFound()': [{ port: p, path: '/thrown' }, { port: s, path: '/sensible-thrown' }, 2],
    'validation → missing_required_parameter vs Fastify default 400': [{ port: p, path: '/validation', method: 'POST' }, { port: s, path: '/validation', method: 'POST' }, undefined]
  }
  for (const [name, [a, b, goal]] of Object.entries(loads)) {
    results.load[name] = { ...await compareLoad(a, b), goal }
    process.stdout.write('.')
  }
  pluginServer.child.disconnect(); baselineServer.child.disconnect()

  results.startup = {
    '1,000 routes, body and response schemas': await compareStartup('plugin', 'body', 1000),
    '1,000 routes, response schemas only': await compareStartup('plugin', 'response', 1000),
    '100 routes, body and response schemas': await compareStartup('plugin', 'body', 100),
    "1,000 routes, body and response schemas, routeSchemas: 'ranges'": await compareStartup('ranges', 'body', 1000)
  }
  process.stdout.write('.')
  results.successPath = await measureSuccessPath({ rounds: QUICK ? 3 : 11 })
  process.stdout.write('.')
  // Instructions, not time: the figures that hold from one run to the next (valgrind needed).
  if (spawnSync('valgrind', ['--version']).status === 0) {
    results.instructions = {
      success: await measureInstructions({ kinds: ['plugin', 'unstamped'] }),
      errors: await measureErrorInstructions()
    }
    process.stdout.write('.')
  }
  results.translation = measureTranslation({ rounds: QUICK ? 3 : 11 })
  results.streams = await measureStreams({ quick: QUICK })
  process.stdout.write('.')
  results.soak = await soak()
  console.log('\n')

  const rows = []
  for (const [kind, table] of [['inject', results.inject], ['autocannon', results.load]]) {
    for (const [name, r] of Object.entries(table)) {
      rows.push([`${kind}: ${name}`, `${fmt(r.a)} vs ${fmt(r.b)} req/s`, `${fmt(r.ratio, 2)}×`, r.goal === undefined ? '—' : `≥ ${r.goal}× ${r.ratio >= r.goal ? 'met' : 'MISSED'}`])
    }
  }
  for (const [name, r] of Object.entries(results.successPath)) {
    rows.push([`success path, server CPU per request: ${name}`, `${fmt(r.plugin.cpuMicros, 1)} vs ${fmt(r.plain.cpuMicros, 1)} µs`, `${fmt(r.plugin.ratio, 3)}×`, `≤ 1.02× ${r.plugin.ratio <= 1.02 ? 'met' : 'MISSED'}`])
  }
  for (const [name, r] of Object.entries(results.instructions?.success ?? {})) {
    for (const [kind, label] of [['plugin', 'defaults'], ['unstamped', 'requestIdHeader: false']]) {
      rows.push([`success path, instructions per request: ${name}, ${label}`, `${fmt(r[kind].instructions)} vs ${fmt(r.plain.instructions)}`, `${fmt(r[kind].ratio, 3)}×`, `≤ 1.02× ${r[kind].ratio <= 1.02 ? 'met' : 'MISSED'}`])
    }
  }
  const errors = results.instructions?.errors
  if (errors !== undefined) {
    const same = errors['hand-written reply, same app'].instructions
    for (const [name, r] of Object.entries(errors)) {
      if (r.speed === undefined) continue
      rows.push([`error path, instructions per reply: ${name} (speed vs the hand-written reply)`, `${fmt(r.instructions)} vs ${fmt(same)}`, `${fmt(r.speed, 3)}×`, r.goal === undefined ? 'reported' : `≥ ${r.goal}× ${r.speed >= r.goal ? 'met' : 'MISSED'}`])
    }
  }
  for (const [label, st] of Object.entries(results.startup)) {
    rows.push([`start-up, ${label}: time`, `${fmt(st.plugin.ms)} vs ${fmt(st.plain.ms)} ms`, `${fmt(st.timeRatio, 2)}×`, `≤ 1.2× ${st.timeRatio <= 1.2 ? 'met' : 'MISSED'}`])
    rows.push([`start-up, ${label}: heap after GC`, `${fmt(st.plugin.heapMB, 1)} vs ${fmt(st.plain.heapMB, 1)} MB`, `${fmt(st.heapRatio, 2)}×`, `≤ 1.15× ${st.heapRatio <= 1.15 ? 'met' : 'MISSED'}`])
  }
  for (const [name, r] of Object.entries(results.translation)) {
    rows.push([`provider error translation: ${name}`, `${fmt(r.translateMicros, 1)} vs ${fmt(r.parseMicros, 1)} µs (JSON.parse alone)`, `${fmt(r.ratio, 2)}×`, 'error path only; reported'])
  }
  const { stream, streamWithoutPlugin, json, jsonAttempts, streamAttempts, hostile } = results.streams
  rows.push(['upstream stream proxied, server CPU per event: fetchUpstream + plugin vs plain fetch piped', `${fmt(stream.pluginMicros, 2)} vs ${fmt(stream.plainMicros, 2)} µs`, `${fmt(stream.ratio, 2)}×`, `≤ 1.1× ${stream.ratio <= 1.1 ? 'met' : 'MISSED'}`])
  rows.push(['upstream stream proxied, server CPU per event: fetchUpstream alone (no plugin) vs plain', `${fmt(streamWithoutPlugin.pluginMicros, 2)} vs ${fmt(streamWithoutPlugin.plainMicros, 2)} µs`, `${fmt(streamWithoutPlugin.ratio, 2)}×`, 'reported'])
  rows.push(['upstream JSON proxied, server CPU per request: fetchUpstream vs fetch + res.json()', `${fmt(json.pluginMicros, 1)} vs ${fmt(json.plainMicros, 1)} µs`, `${fmt(json.ratio, 2)}×`, `≤ 1.05× ${json.ratio <= 1.05 ? 'met' : 'MISSED'}`])
  rows.push(['attempt loop, first try succeeds, server CPU per request: JSON via attemptCandidates vs fetchUpstream', `${fmt(jsonAttempts.pluginMicros, 1)} vs ${fmt(jsonAttempts.plainMicros, 1)} µs`, `${fmt(jsonAttempts.ratio, 2)}×`, `≤ 1.02× ${jsonAttempts.ratio <= 1.02 ? 'met' : 'MISSED'}`])
  rows.push(['attempt loop, first try succeeds, server CPU per event: stream via attemptCandidates vs fetchUpstream', `${fmt(streamAttempts.pluginMicros, 2)} vs ${fmt(streamAttempts.plainMicros, 2)} µs`, `${fmt(streamAttempts.ratio, 2)}×`, `≤ 1.02× ${streamAttempts.ratio <= 1.02 ? 'met' : 'MISSED'}`])
  for (const [name, r] of Object.entries(hostile)) {
    rows.push([`hostile stream, server CPU: ${name} (twice the bytes: ${fmt(r.twiceTheBytes, 2)}×)`, `${fmt(r.pluginMs, 2)} vs ${fmt(r.plainMs, 2)} ms`, `${fmt(r.ratio, 2)}×`, `≤ 2× ${r.ratio <= 2 ? 'met' : 'MISSED'}`])
  }
  rows.push([`soak: ${fmt(results.soak.replies)} error replies over HTTP`, `heap after GC ${results.soak.heapMB.join(' → ')} MB`, `${fmt(results.soak.growthMB, 1)} MB growth`, 'flat'])
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i].length), 10))
  const line = (row) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`
  console.log(line(['comparison (A vs B)', 'A vs B', 'ratio A/B', 'goal']))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const row of rows) console.log(line(row))
  writeFileSync(join(__dirname, 'results.json'), JSON.stringify(results, null, 2))
  console.log('\nwritten to bench/results.json')
}

const caseArg = process.argv.indexOf('--inject-case')
;(caseArg === -1 ? main() : injectCase(process.argv[caseArg + 1])).catch((error) => {
  console.error(error)
  process.exit(1)
})
