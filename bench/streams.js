'use strict'
// Proxying a provider's stream and its JSON: the plugin's fetchUpstream against a plain fetch
// (with AbortSignal.timeout) piped or parsed, in separate gateway processes run in alternating
// rounds (ABBA), reporting the gateway's own CPU per event (streams) or per request (JSON). And the
// checked stream on hostile input, in this process: CPU against reading the same bytes plainly.
const { fork } = require('node:child_process')
const { join } = require('node:path')
const { Readable } = require('node:stream')
const { Agent, request: httpRequest } = require('node:http')

const SERVERS = join(__dirname, 'stream-servers.js')
const EVENTS = 400
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

function start (args) {
  return new Promise((resolve, reject) => {
    const child = fork(SERVERS, args)
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
      res.on('end', () => res.statusCode === 200 ? resolve(bytes) : reject(new Error(`status ${res.statusCode}`)))
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

async function compareProxy (rounds, path, count, perUnit) {
  const provider = await start(['provider'])
  const upstream = `http://127.0.0.1:${provider.port}`
  const plugin = await start(['plugin', upstream])
  const plain = await start(['plain', upstream])
  await cpuFor(plugin, path, count); await cpuFor(plain, path, count) // warm-up
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

// Hostile streams, in-process: each byte source read through fetchUpstream's checked stream and
// read plainly (Readable.fromWeb), CPU per run; and the same at twice the size, for linearity.
function source (chunks) {
  let i = 0
  return new ReadableStream({ pull (controller) { if (i < chunks.length) controller.enqueue(chunks[i++]); else controller.close() } })
}
async function drain (readable) { for await (const part of readable) if (part === undefined) break }
async function cpuOf (run) { const before = process.cpuUsage(); await run(); const used = process.cpuUsage(before); return used.user + used.system }

async function hostile (rounds) {
  const { fetchUpstream } = require('../dist/main.js')
  const split = (text, size) => { const bytes = Buffer.from(text); const out = []; for (let at = 0; at < bytes.length; at += size) out.push(new Uint8Array(bytes.subarray(at, at + size))); return out }
  const cases = {
    'one 1 MiB event in 16-byte writes': (scale) => split(`data: ${'x'.repeat((1 << 19) * scale - 16)}\n\n`, 16),
    '100k tiny events (in 16 KiB writes)': (scale) => split('data: 1\n\n'.repeat(50_000 * scale), 16 * 1024),
    'a 10 MB line (refused past 1 MiB)': (scale) => split(`data: ${'y'.repeat(5_000_000 * scale)}`, 64 * 1024)
  }
  const results = {}
  for (const [name, make] of Object.entries(cases)) {
    const sizes = [1, 2].map((scale) => make(scale))
    const checked = (chunks) => async () => {
      try {
        const { stream } = await fetchUpstream('http://bench.test/', { provider: 'p', timeoutMs: 60_000, raw: true, fetch: async () => new Response(source(chunks), { headers: { 'content-type': 'text/event-stream' } }) })
        await drain(stream)
      } catch (error) {
        if (error.code !== 'upstream_error') throw error
      }
    }
    const plain = (chunks) => () => drain(Readable.fromWeb(source(chunks)))
    const ratios = []; const growth = []; const a = []; const b = []
    for (let round = 0; round < rounds; round++) {
      const [small, large] = sizes
      const c1 = await cpuOf(checked(small)); const p1 = await cpuOf(plain(small))
      const c2 = await cpuOf(checked(large))
      a.push(c1); b.push(p1); ratios.push(c1 / p1); growth.push(c2 / c1)
    }
    results[name] = { checkedMs: median(a) / 1000, plainMs: median(b) / 1000, ratio: median(ratios), twiceTheBytes: median(growth) }
  }
  return results
}

async function measureStreams ({ rounds = 7, quick = false } = {}) {
  return {
    stream: await compareProxy(rounds, '/stream', quick ? 100 : 400, EVENTS + 1),
    json: await compareProxy(rounds, '/json', quick ? 500 : 3000, 1),
    hostile: await hostile(quick ? 3 : rounds)
  }
}

module.exports = { measureStreams }

if (require.main === module) {
  measureStreams({ quick: process.argv.includes('--quick') }).then((results) => {
    const f = (n) => n.toFixed(2)
    console.log(`streamed events: plugin ${f(results.stream.pluginMicros)} µs, plain pipe ${f(results.stream.plainMicros)} µs per event: ${f(results.stream.ratio)}× (goal ≤ 1.10×)`)
    console.log(`proxied JSON: plugin ${f(results.json.pluginMicros)} µs, plain fetch ${f(results.json.plainMicros)} µs per request: ${f(results.json.ratio)}× (goal ≤ 1.05×)`)
    for (const [name, r] of Object.entries(results.hostile)) console.log(`${name}: checked ${f(r.checkedMs)} ms, plain ${f(r.plainMs)} ms: ${f(r.ratio)}× (goal ≤ 2×); twice the bytes: ${f(r.twiceTheBytes)}× the CPU`)
  })
}
