'use strict'
// Proxying a provider's stream and its JSON: the plugin's fetchUpstream against a plain fetch
// (with AbortSignal.timeout) piped or parsed, in separate gateway processes run in alternating
// rounds (ABBA), reporting the gateway's own CPU per event (streams) or per request (JSON). And the
// checked stream on hostile input, in this process: CPU against reading the same bytes plainly.
const { fork } = require('node:child_process')
const { join } = require('node:path')
const { Agent, request: httpRequest } = require('node:http')

const SERVERS = join(__dirname, 'stream-servers.js')
const EVENTS = 400
const WARM_UP_ROUNDS = 6
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

function start (args) {
  return new Promise((resolve, reject) => {
    const child = fork(SERVERS, args, { execArgv: process.env.GATEWAY_EXEC_ARGV ? process.env.GATEWAY_EXEC_ARGV.split(' ') : [] })
    child.once('message', ({ port }) => resolve({ child, port }))
    child.once('error', reject)
  })
}
const ask = (child, message) => new Promise((resolve) => { child.once('message', resolve); child.send(message) })

const prompt = JSON.stringify({ model: 'bench-model', stream: true, messages: [{ role: 'user', content: 'p'.repeat(2000) }] })
const agent = new Agent({ keepAlive: true, maxSockets: 8 })

function call (port, path) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, host: '127.0.0.1', path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(prompt) } }, (res) => {
      let bytes = 0
      res.on('data', (data) => { bytes += data.length })
      res.on('end', () => res.statusCode === 200 || path.startsWith('/hostile/line') ? resolve(bytes) : reject(new Error(`status ${res.statusCode}`)))
    })
    req.on('error', reject)
    req.end(prompt)
  })
}

/** The gateway's CPU (µs) for `count` requests, 8 at a time. */
async function cpuFor (gateway, path, count) {
  await ask(gateway.child, 'mark')
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => { while (next++ < count) await call(gateway.port, path) }))
  return (await ask(gateway.child, 'cpu')).cpuMicros
}

async function compareProxy (rounds, path, count, perUnit, kinds = ['plugin', 'plain']) {
  const provider = await start(['provider'])
  const upstream = `http://127.0.0.1:${provider.port}`
  const plugin = await start([kinds[0], upstream])
  const plain = await start([kinds[1], upstream])
  // Warm-up: a side's CPU per request falls by half over its first few thousand requests (V8 compiling).
  for (let round = 0; round < WARM_UP_ROUNDS; round++) { await cpuFor(plugin, path, count); await cpuFor(plain, path, count) }
  const a = []; const b = []; const ratios = []
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [plugin, plain] : [plain, plugin]
    const cpu = new Map()
    for (const side of order) cpu.set(side, await cpuFor(side, path, count) / (count * perUnit))
    a.push(cpu.get(plugin)); b.push(cpu.get(plain)); ratios.push(cpu.get(plugin) / cpu.get(plain))
  }
  for (const p of [plugin, plain, provider]) p.child.disconnect()
  return { pluginMicros: median(a), plainMicros: median(b), ratio: median(ratios) }
}

// Hostile streams through the same two gateways: the plugin's CPU against the plain pipe's for the
// same bytes, and the plugin's at twice the bytes (linear: about 2×). The 10 MB line is refused at
// 1 MiB by the plugin (an upstream_error before the first byte) and piped whole by the plain gateway.
async function hostile (rounds) {
  const provider = await start(['provider'])
  const upstream = `http://127.0.0.1:${provider.port}`
  const plugin = await start(['plugin', upstream])
  const plain = await start(['plain', upstream])
  const results = {}
  for (const [name, label] of [['event16', 'one 1 MiB event in 16-byte writes'], ['tiny', '100k tiny events'], ['line', 'a 10 MB line (refused past 1 MiB)']]) {
    const path = (scale) => `/hostile/${name}/${scale}`
    for (let round = 0; round < 3; round++) { await cpuFor(plugin, path(1), 8); await cpuFor(plain, path(1), 8) }
    const a = []; const b = []; const ratios = []; const growth = []
    for (let round = 0; round < rounds; round++) {
      const checked = await cpuFor(plugin, path(1), 8)
      const piped = await cpuFor(plain, path(1), 8)
      const twice = await cpuFor(plugin, path(2), 8)
      a.push(checked / 8000); b.push(piped / 8000); ratios.push(checked / piped); growth.push(twice / checked)
    }
    results[label] = { pluginMs: median(a), plainMs: median(b), ratio: median(ratios), twiceTheBytes: median(growth) }
  }
  for (const p of [plugin, plain, provider]) p.child.disconnect()
  return results
}

async function measureStreams ({ rounds = 7, quick = false } = {}) {
  return {
    stream: await compareProxy(rounds, '/stream', quick ? 100 : 300, EVENTS + 1),
    streamWithoutPlugin: await compareProxy(rounds, '/stream', quick ? 100 : 300, EVENTS + 1, ['bare-upstream', 'plain']),
    json: await compareProxy(rounds, '/json', quick ? 500 : 2000, 1),
    // the attempt loop on a request that succeeds at once, against the same call without it
    jsonAttempts: await compareProxy(rounds, '/json', quick ? 500 : 2000, 1, ['plugin-attempts', 'plugin']),
    streamAttempts: await compareProxy(rounds, '/stream', quick ? 100 : 300, EVENTS + 1, ['plugin-attempts', 'plugin']),
    hostile: await hostile(quick ? 3 : rounds)
  }
}

module.exports = { measureStreams, compareProxy }

if (require.main === module) {
  measureStreams({ quick: process.argv.includes('--quick') }).then((results) => {
    const f = (n) => n.toFixed(2)
    console.log(`streamed events: plugin ${f(results.stream.pluginMicros)} µs, plain pipe ${f(results.stream.plainMicros)} µs per event: ${f(results.stream.ratio)}× (goal ≤ 1.10×)`)
    console.log(`proxied JSON: plugin ${f(results.json.pluginMicros)} µs, plain fetch ${f(results.json.plainMicros)} µs per request: ${f(results.json.ratio)}× (goal ≤ 1.05×)`)
    console.log(`  fetchUpstream alone (no plugin registered): ${f(results.streamWithoutPlugin.ratio)}×`)
    console.log(`the attempt loop, first try succeeds: JSON ${f(results.jsonAttempts.ratio)}× (${f(results.jsonAttempts.pluginMicros)} vs ${f(results.jsonAttempts.plainMicros)} µs), stream ${f(results.streamAttempts.ratio)}× per event`)
    for (const [name, r] of Object.entries(results.hostile)) console.log(`${name}: plugin ${f(r.pluginMs)} ms, plain pipe ${f(r.plainMs)} ms: ${f(r.ratio)}× (goal ≤ 2×); twice the bytes: ${f(r.twiceTheBytes)}× the CPU`)
  })
}
