// Without @opentelemetry/api (an optional peer dependency): the package loads, replies and calls
// providers as ever, and the telemetry functions do nothing. Run in a child process whose require
// cannot find the API, as in an application that does not install it, on the built package (dist/,
// as installed; `npm test` builds it first): lib/ loaded by another transpiler would blur coverage.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'

const script = `
const Module = require('node:module')
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if (request === '@opentelemetry/api') throw Object.assign(new Error('Cannot find module'), { code: 'MODULE_NOT_FOUND' })
  return resolve.call(this, request, ...rest)
}
const telemetry = require('./dist/telemetry/telemetry')
const { default: gatewayErrors } = require('./dist/index')
const { attemptCandidates } = require('./dist/upstream')
const Fastify = require('fastify')
;(async () => {
  const app = Fastify()
  await app.register(gatewayErrors)
  app.get('/', async (_request, reply) => reply.gatewayError('upstream_error'))
  const res = await app.inject('/')
  const looped = await attemptCandidates([{ name: 'a' }], async () => 'served')
  let ran = false
  await telemetry.upstreamCall({ operation: 'chat', provider: 'a' }, async (call) => { ran = call === undefined })
  const span = { setAttributes: () => { throw new Error('marked') } }
  telemetry.markServerSpans({ id: 'id', opentelemetry: () => ({ span }) }, {}, { code: 'upstream_error', status: 502, retryable: true, message: 'm' })
  console.log(JSON.stringify({ available: telemetry.loadApi() !== undefined, status: res.statusCode, looped: looped.result, ran, active: telemetry.activeUpstreamCall() ?? null }))
})()
`

t.test('no @opentelemetry/api: everything works, telemetry is off', async (t) => {
  const child = spawnSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' })
  t.equal(child.status, 0, child.stderr)
  t.same(JSON.parse(child.stdout.trim().split('\n').at(-1) as string), { available: false, status: 502, looped: 'served', ran: true, active: null })
})

t.test('loadApi: a require that cannot find the API turns telemetry off', async (t) => {
  const { loadApi } = await import('../../lib/telemetry/telemetry')
  t.equal(loadApi(() => { throw Object.assign(new Error('Cannot find module'), { code: 'MODULE_NOT_FOUND' }) }), undefined)
  t.equal(typeof loadApi()?.trace.getTracer, 'function', 'installed: the API')
})

t.test('in this process, with the API switched off: the same paths, nothing recorded', async (t) => {
  const telemetry = await import('../../lib/telemetry/telemetry')
  const previous = telemetry.useApi(undefined)
  t.teardown(() => { telemetry.useApi(previous) })
  t.equal(telemetry.tracingRegistered(), false)
  t.equal(telemetry.activeUpstreamCall(), undefined)
  t.equal(await telemetry.upstreamCall({ operation: 'chat', provider: 'a' }, async (call) => call), undefined, 'no span given to the call')
  const throwing = { isRecording: () => { throw new Error('not reached') } }
  t.doesNotThrow(() => telemetry.markServerSpans({ id: 1, opentelemetry: () => ({ span: throwing as never }) }, {}, { code: 'internal_error', status: 500, retryable: false, message: 'm' }))
  const { attemptCandidates } = await import('../../lib/upstream')
  t.match(await attemptCandidates([{ name: 'a' }], async () => 'served'), { result: 'served' })
})

t.test('a marked span keeps the catalog code; providers without a delegate count as registered', async (t) => {
  const telemetry = await import('../../lib/telemetry/telemetry')
  const api = await import('@opentelemetry/api')
  const { TracerProvider } = await import('@opentelemetry/sdk-trace')
  api.trace.setGlobalTracerProvider(new TracerProvider()) // spans are marked only when something records
  const written: Record<string, unknown> = {}
  // as the SDK's span: setAttributes goes through this.setAttribute
  const span = {
    isRecording: () => true,
    setAttribute (key: string, value: unknown) { written[key] = value; return this },
    setAttributes (attributes: Record<string, unknown>) { for (const key in attributes) this.setAttribute(key, attributes[key]); return this },
    setStatus () { return this },
    addEvent () { return this }
  }
  const error = { code: 'service_unavailable', status: 503, retryable: true, message: 'm' }
  telemetry.markServerSpans({ id: 'r1', opentelemetry: () => ({ span: span as never }) }, {}, error)
  span.setAttribute('error.type', '503')
  span.setAttributes({ 'error.type': '503', 'http.response.status_code': 503 })
  span.setAttributes({ 'url.path': '/x' })
  t.same(written, { 'error.type': 'service_unavailable', 'gateway.error.retryable': true, 'gateway.request.id': 'r1', 'http.response.status_code': 503, 'url.path': '/x' }, 'later error.type writes ignored, others kept')
  telemetry.markServerSpans({ id: 'r1', opentelemetry: () => ({ span: span as never }) }, {}, { ...error, code: 'upstream_error' })
  t.equal(written['error.type'], 'upstream_error', 'the plugin itself can still write it')

  const previous = telemetry.useApi({ ...api, trace: { ...api.trace, getTracerProvider: () => ({ getTracer: api.trace.getTracer }) } } as never)
  t.teardown(() => { telemetry.useApi(previous) })
  t.equal(telemetry.tracingRegistered(), true, 'a provider that is no proxy: registered')
})
