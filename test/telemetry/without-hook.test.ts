// instrumentation-http registered as users do by default (no applyCustomAttributesOnSpan), with
// @fastify/otel: the HTTP server span still ends with error.type = the catalog code, not the status.
import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { FastifyOtelInstrumentation } from '@fastify/otel'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import type { AddressInfo } from 'node:net'
import t from 'tap'

const spans = new InMemorySpanExporter()
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }))
registerInstrumentations({ instrumentations: [new HttpInstrumentation(), new FastifyOtelInstrumentation({ registerOnInitialization: true })] })

t.test('the HTTP server span keeps the catalog code', async (t) => {
  // loaded after the instrumentations, as an application loads them
  const { default: Fastify } = await import('fastify')
  const { default: gatewayErrors, GatewayError } = await import('../../lib/index')
  const app = Fastify()
  await app.register(gatewayErrors)
  app.get('/thrown', async () => { throw new GatewayError('service_unavailable') })
  app.get('/sent', async (_request, reply) => reply.gatewayError('rate_limit_exceeded', { retry_after_ms: 100 }))
  app.get('/fine', async () => ({ ok: true }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  for (const [path, code, status] of [['/thrown', 'service_unavailable', 503], ['/sent', 'rate_limit_exceeded', 429], ['/fine', undefined, 200]] as const) {
    spans.reset()
    await (await fetch(url + path)).arrayBuffer()
    await new Promise((resolve) => setTimeout(resolve, 10))
    const server = spans.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER)
    t.equal(server?.attributes['http.response.status_code'], status)
    t.equal(server?.attributes['error.type'], code, `${path}: error.type ${String(code)}`)
    t.equal(server?.status.code, status >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET)
  }
})
