'use strict'
// Processes for bench/streams.js. `provider`: answers POST /stream with EVENTS OpenAI-style chunk
// events (one write each) and POST /json with a 1.5 KB completion. `gateway KIND`: a Fastify app
// proxying to it, either plainly (KIND plain: fetch with AbortSignal.timeout, Readable.fromWeb /
// res.json()) or through the plugin (KIND plugin: fetchUpstream). The gateway reports its own CPU
// time over IPC, so the provider's and the load generator's work is not counted.
const { createServer } = require('node:http')
const { Readable } = require('node:stream')

const EVENTS = 400
const chunk = (i) => `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'bench-model', choices: [{ index: 0, delta: { content: ` token${i}` }, finish_reason: null }] })}\n\n`
const events = Array.from({ length: EVENTS }, (_, i) => chunk(i))
const completion = JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion', created: 1, model: 'bench-model', choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(1300) }, finish_reason: 'stop' }], usage: { prompt_tokens: 500, completion_tokens: 300, total_tokens: 800 } })

// Hostile streams, each at a scale of 1 or 2 (for linearity): one 1 MiB event in 16-byte writes,
// 100k tiny events, a 10 MB line with no line end.
const hostile = {
  event16: (scale) => { const text = `data: ${'x'.repeat((1 << 19) * scale - 16)}\n\n`; return Array.from({ length: Math.ceil(text.length / 16) }, (_, i) => text.slice(i * 16, i * 16 + 16)) },
  tiny: (scale) => Array.from({ length: 10 * scale }, () => 'data: 1\n\n'.repeat(10_000)),
  line: (scale) => Array.from({ length: 10 * scale }, () => 'y'.repeat(500_000))
}
const hostileWrites = {}
for (const [name, make] of Object.entries(hostile)) for (const scale of [1, 2]) hostileWrites[`/hostile/${name}/${scale}`] = make(scale)

function provider () {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const writes = hostileWrites[req.url]
      if (writes !== undefined) {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        let i = 0
        const write = () => {
          while (i < writes.length) if (!res.write(writes[i++])) return res.once('drain', write)
          res.end()
        }
        return write()
      }
      if (req.url === '/json') {
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end(completion)
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      let i = 0
      const write = () => {
        while (i < EVENTS) if (!res.write(events[i++])) return res.once('drain', write)
        res.end('data: [DONE]\n\n')
      }
      write()
    })
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
}

async function gateway (kind, upstream) {
  const Fastify = require('fastify')
  const { default: gatewayErrors } = require('../dist/main.js')
  const { fetchUpstream } = require('../dist/upstream/index.js')
  const app = Fastify()
  const init = (request) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request.body) })
  if (kind === 'plugin-attempts') {
    // the same calls through the attempt loop, one candidate that succeeds at once (as routed)
    const { attemptCandidates } = require('../dist/upstream/index.js')
    const candidates = [{ name: 'bench' }]
    await app.register(gatewayErrors)
    app.post('/*', async (request, reply) => {
      const { result } = await attemptCandidates(candidates, (provider, { signal }) =>
        fetchUpstream(`${upstream}${request.url}`, { ...init(request), provider: provider.name, timeoutMs: 10_000, raw: true, signal }), { signal: request.abortSignal, reply })
      return reply.header('content-type', 'text/event-stream').send(result.stream)
    })
    app.post('/json', async (request, reply) => {
      const { result } = await attemptCandidates(candidates, (provider, { signal }) =>
        fetchUpstream(`${upstream}/json`, { ...init(request), provider: provider.name, timeoutMs: 10_000, signal }), { signal: request.abortSignal, reply })
      return result.body
    })
  } else if (kind === 'plugin' || kind === 'bare-upstream') {
    if (kind === 'plugin') await app.register(gatewayErrors)
    app.post('/*', async (request, reply) => {
      const { stream } = await fetchUpstream(`${upstream}${request.url}`, { ...init(request), provider: 'bench', timeoutMs: 10_000, raw: true, signal: request.abortSignal })
      return reply.header('content-type', 'text/event-stream').send(stream)
    })
    app.post('/json', async (request) => {
      const { body } = await fetchUpstream(`${upstream}/json`, { ...init(request), provider: 'bench', timeoutMs: 10_000, signal: request.abortSignal })
      return body
    })
  } else {
    if (kind === 'plain-with-plugin') await app.register(gatewayErrors)
    app.post('/*', async (request, reply) => {
      const res = await fetch(`${upstream}${request.url}`, { ...init(request), signal: AbortSignal.timeout(10_000) })
      return reply.header('content-type', 'text/event-stream').send(Readable.fromWeb(res.body))
    })
    app.post('/json', async (request) => {
      const res = await fetch(`${upstream}/json`, { ...init(request), signal: AbortSignal.timeout(10_000) })
      return res.json()
    })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  let mark = process.cpuUsage()
  process.on('message', (message) => {
    if (message === 'mark') {
      mark = process.cpuUsage()
      process.send({ marked: true })
    }
    if (message === 'cpu') {
      const used = process.cpuUsage(mark)
      process.send({ cpuMicros: used.user + used.system, user: used.user, system: used.system })
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.send({ port: app.server.address().port })
}

if (process.argv[2] === 'provider') provider()
else gateway(process.argv[2], process.argv[3])
module.exports = { EVENTS }
