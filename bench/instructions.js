'use strict'
// The success and error paths counted in instructions, not seconds: the server runs under
// valgrind's callgrind with instrumentation off while it warms up (10,000 requests: with 3,000,
// a third of what was counted was V8 still compiling), then on for 2,000 requests from a client
// outside it (one keep-alive connection, one request at a time). The count does not depend on
// whatever else the machine does (V8 runs with --predictable): two runs of the same app agree to
// about 0.5%, where CPU time moves by ±5% between processes. Two builds of the plugin can still
// differ by more than the work they do (V8 decides differently what to optimise, and when to
// collect garbage). Needs valgrind: `npm run bench:instructions` (about 5 minutes).
// INSTRUCTIONS_KEEP=dir keeps each count for bench/annotate.js, which names the functions whose
// instructions differ between two counts.
const { spawn, execFileSync } = require('node:child_process')
const http = require('node:http')
const { readFileSync, rmSync, readdirSync, renameSync, copyFileSync } = require('node:fs')
const { join } = require('node:path')
const { tmpdir } = require('node:os')

// 10,000 requests to warm up (JIT), 2,000 counted
const COUNTING = { warmup: Number(process.env.INSTRUCTIONS_WARMUP ?? 10000), measured: 2000 }

const REQUESTS = {
  'POST with a JSON body': { method: 'POST', path: '/v1/chat/completions', body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }), status: 200 },
  GET: { method: 'GET', path: '/v1/models/gpt-4o', status: 200 }
}

// The error path (bench/apps.js): each against the hand-written reply in the same app, and the
// hand-written reply in an app without the plugin; with its goal (issue #16) where it has one.
const hand = { method: 'GET', path: '/hand-written', status: 404 }
const ERROR_CASES = {
  'hand-written reply, app without the plugin': ['hand-written', hand],
  'reply.gatewayError': ['errors', { ...hand, path: '/gateway-error' }, 1],
  'thrown GatewayError': ['errors', { ...hand, path: '/thrown' }, 0.95],
  'thrown error, no plugin, least possible: an error made once, a handler sending the hand-written reply': ['thrown-floor', { ...hand, path: '/thrown' }]
}

function send (port, agent, request) {
  return new Promise((resolve, reject) => {
    const headers = request.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(request.body) }
    const req = http.request({ host: '127.0.0.1', port, method: request.method, path: request.path, agent, headers }, (res) => {
      if (res.statusCode !== request.status) reject(new Error(`status ${res.statusCode} from ${request.path}`))
      res.resume()
      res.on('end', resolve)
    })
    req.on('error', reject)
    req.end(request.body)
  })
}

async function count (kind, request, { warmup, measured }) {
  const out = join(tmpdir(), `gateway-cg-${process.pid}-${kind}`)
  const keep = process.env.INSTRUCTIONS_KEEP
  const v8Flags = ['--predictable', ...(keep ? ['--perf-basic-prof'] : [])] // JIT code's names, for annotate
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}.%p`, process.execPath, ...v8Flags, join(__dirname, 'instructions-server.js'), kind], { stdio: ['ignore', 'pipe', 'ignore'] })
  const port = await new Promise((resolve) => child.stdout.on('data', (data) => { const match = /PORT (\d+)/.exec(String(data)); if (match) resolve(Number(match[1])) }))
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  for (let i = 0; i < warmup; i++) await send(port, agent, request)
  execFileSync('callgrind_control', ['--instr=on', String(child.pid)], { stdio: 'ignore' })
  for (let i = 0; i < measured; i++) await send(port, agent, request)
  execFileSync('callgrind_control', ['--instr=off', String(child.pid)], { stdio: 'ignore' })
  agent.destroy()
  await new Promise((resolve) => { child.on('exit', resolve); child.kill('SIGTERM') })
  let total = 0
  for (const file of readdirSync(tmpdir()).filter((name) => name.startsWith(`gateway-cg-${process.pid}-${kind}`))) {
    const text = readFileSync(join(tmpdir(), file), 'utf8')
    const match = /^totals: (\d+)/m.exec(text) // (summary stays 0 when instrumentation is switched on later)
    if (match) total += Number(match[1])
    // INSTRUCTIONS_KEEP=dir keeps each count, and the names of its JIT code, for bench/annotate.js
    const name = join(keep ?? '', `${kind}${request.path.replace(/\//g, '_')}`)
    if (keep) renameSync(join(tmpdir(), file), `${name}.callgrind`)
    else rmSync(join(tmpdir(), file))
    if (keep) copyFileSync(`/tmp/perf-${child.pid}.map`, `${name}.map`)
  }
  return total / measured
}

async function measureInstructions ({ kinds = ['plugin'], warmup = COUNTING.warmup, measured = COUNTING.measured } = {}) {
  const results = {}
  for (const [name, request] of Object.entries(REQUESTS)) {
    const plain = await count('plain', request, { warmup, measured })
    results[name] = { plain: { instructions: Math.round(plain) } }
    for (const kind of kinds) {
      const value = await count(kind, request, { warmup, measured })
      results[name][kind] = { instructions: Math.round(value), ratio: value / plain }
    }
  }
  return results
}

/** Instructions per error reply, and the hand-written reply's count over each (≥ 1 when as fast). */
async function measureErrorInstructions ({ warmup = COUNTING.warmup, measured = COUNTING.measured } = {}) {
  const base = await count('errors', hand, { warmup, measured })
  const results = { 'hand-written reply, same app': { instructions: Math.round(base) } }
  for (const [name, [kind, request, goal]] of Object.entries(ERROR_CASES)) {
    const value = await count(kind, request, { warmup, measured })
    results[name] = { instructions: Math.round(value), speed: base / value, goal }
  }
  return results
}

module.exports = { measureInstructions, measureErrorInstructions, COUNTING }

if (require.main === module) {
  const args = process.argv.slice(2)
  const kinds = args.filter((arg) => !arg.startsWith('-'))
  const run = args.includes('--errors')
    ? measureErrorInstructions()
    : measureInstructions({ kinds: kinds.length > 0 ? kinds : ['plugin'] })
  run.then((r) => console.log(JSON.stringify(r, null, 2)))
}
