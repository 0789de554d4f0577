'use strict'
// The success path: server CPU per request for a POST with a JSON body and a GET, the same app with
// and without the plugin. Each server runs in its own process on one core, the load generator on
// the other; in each round the servers are loaded at the same time, at the same fixed rate, so
// whatever else the machine does affects both alike. Every round starts fresh processes: one
// process of the same app can run 10% faster or slower than the next (memory layout, JIT), which
// alone would decide a comparison of two long-lived servers. Reports the median of per-round ratios.
const { fork } = require('node:child_process')
const { join } = require('node:path')
const autocannon = require('autocannon')

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

function start (kind) {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'success-server.js'), [kind], { execPath: 'taskset', execArgv: ['-c', '1', process.execPath] })
    child.once('message', ({ port }) => resolve({
      kind,
      port,
      cpu: () => new Promise((resolve) => { child.once('message', (m) => resolve(m.cpuMicros)); child.send('cpu') }),
      stop: () => child.disconnect()
    }))
    child.once('error', reject)
  })
}

const REQUESTS = {
  'POST with a JSON body': { method: 'POST', path: '/v1/chat/completions', body: '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}', headers: { 'content-type': 'application/json' } },
  GET: { method: 'GET', path: '/v1/models/gpt-4o' }
}

async function cpuPerRequest (server, request, rate, seconds) {
  const before = await server.cpu()
  const result = await autocannon({ url: `http://127.0.0.1:${server.port}`, connections: 8, overallRate: rate, amount: rate * seconds, requests: [request] })
  const after = await server.cpu()
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.kind}: failed replies`)
  return (after - before) / result.requests.total
}

/** µs of server CPU per request for each kind, and the median ratio of each kind to `plain`. */
async function measureSuccessPath ({ rounds = 11, seconds = 2, rate = 3000, kinds = ['plugin'] } = {}) {
  const samples = {}
  for (const name of Object.keys(REQUESTS)) samples[name] = { cpu: ['plain', ...kinds].map(() => []), ratios: kinds.map(() => []) }
  for (let round = 0; round < rounds; round++) {
    const servers = await Promise.all(['plain', ...kinds].map(start))
    try {
      for (const [name, request] of Object.entries(REQUESTS)) {
        await Promise.all(servers.map((server) => cpuPerRequest(server, request, rate, 1))) // warm-up
        const cpu = await Promise.all(servers.map((server) => cpuPerRequest(server, request, rate, seconds)))
        cpu.forEach((value, i) => { samples[name].cpu[i].push(value) })
        kinds.forEach((_, i) => samples[name].ratios[i].push(cpu[i + 1] / cpu[0]))
      }
    } finally {
      for (const server of servers) server.stop()
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, { cpu, ratios }]) => [name, Object.fromEntries(['plain', ...kinds].map((kind, i) => [kind, {
    cpuMicros: median(cpu[i]),
    ...(i === 0 ? {} : { ratio: median(ratios[i - 1]) })
  }]))]))
}

module.exports = { measureSuccessPath }

if (require.main === module) {
  measureSuccessPath({ kinds: ['plugin', 'untracked'] }).then((r) => console.log(JSON.stringify(r, null, 2)))
}
