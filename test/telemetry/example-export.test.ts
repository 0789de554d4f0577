// The example gateway as `npm start` runs it (examples/dist/, compiled by `npm run typecheck`, on the
// built package), with OTEL_EXPORTER_OTLP_ENDPOINT set: its traces and metrics reach an OTLP/HTTP
// collector (a local server here), the failed request's spans carrying the catalog code.
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'

t.test('OTEL_EXPORTER_OTLP_ENDPOINT: spans and metrics reach the collector', async (t) => {
  const received: Record<string, Buffer[]> = {}
  const collector = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      ;(received[req.url ?? ''] ??= []).push(Buffer.concat(chunks))
      res.writeHead(200, { 'content-type': 'application/x-protobuf' })
      res.end()
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  t.teardown(() => collector.close())
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`

  const root = join(__dirname, '..', '..')
  const child = spawn(process.execPath, ['examples/dist/gateway.js'], {
    cwd: root,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString()
      const match = /Example gateway at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(output)
      if (match !== null) resolve(match[1] as string)
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)))
  })
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-demo-full', 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Hello' }], model: 'demo-all-fail' })
  })
  t.equal(res.status, 429)
  await res.arrayBuffer()
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM') // the example flushes its exporters on the way out
  await exited
  const traces = Buffer.concat(received['/v1/traces'] ?? []).toString('latin1')
  const metrics = Buffer.concat(received['/v1/metrics'] ?? []).toString('latin1')
  t.ok(traces.includes('rate_limit_exceeded') && traces.includes('POST /v1/chat/completions'), 'the server span with the catalog code')
  t.ok(traces.includes('chat epsilon') && traces.includes('upstream_error'), 'the failed attempt\'s span')
  t.ok(metrics.includes('gen_ai.client.operation.duration'), 'the GenAI client metric')
})
