'use strict'
// The success path counted in instructions, not seconds: the server runs under valgrind's
// callgrind with instrumentation off while it warms up (JIT), then on for a fixed number of
// requests from a client outside it (one keep-alive connection, one request at a time). The count
// does not depend on whatever else the machine does: V8 runs with --predictable, and two runs of
// the same app agree to 0.03%, where CPU time moves by ±5% between processes. Two variants of the
// plugin still move by up to ±1.5% (JIT and GC decisions differ with the code). Needs valgrind:
// `npm run bench:instructions` (about 4 minutes).
const { spawn, execFileSync } = require('node:child_process')
const http = require('node:http')
const { readFileSync, rmSync, readdirSync } = require('node:fs')
const { join } = require('node:path')
const { tmpdir } = require('node:os')

const REQUESTS = {
  'POST with a JSON body': { method: 'POST', path: '/v1/chat/completions', body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) },
  GET: { method: 'GET', path: '/v1/models/gpt-4o' }
}

function send (port, agent, request) {
  return new Promise((resolve, reject) => {
    const headers = request.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(request.body) }
    const req = http.request({ host: '127.0.0.1', port, method: request.method, path: request.path, agent, headers }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`))
      res.resume()
      res.on('end', resolve)
    })
    req.on('error', reject)
    req.end(request.body)
  })
}

async function count (kind, request, { warmup, measured }) {
  const out = join(tmpdir(), `gateway-cg-${process.pid}-${kind}`)
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}.%p`, process.execPath, '--predictable', join(__dirname, 'instructions-server.js'), kind], { stdio: ['ignore', 'pipe', 'ignore'] })
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
    rmSync(join(tmpdir(), file))
  }
  return total / measured
}

async function measureInstructions ({ kinds = ['plugin'], warmup = 3000, measured = 1000 } = {}) {
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

module.exports = { measureInstructions }

if (require.main === module) {
  const kinds = process.argv.slice(2).filter((arg) => !arg.startsWith('-'))
  measureInstructions({ kinds: kinds.length > 0 ? kinds : ['plugin'] }).then((r) => console.log(JSON.stringify(r, null, 2)))
}
