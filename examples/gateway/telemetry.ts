// OpenTelemetry for the example gateway, started before anything loads http or Fastify. Off unless
// asked: OTEL_EXPORTER_OTLP_ENDPOINT (the standard variable, e.g. http://127.0.0.1:4318) sends traces
// and metrics over OTLP/HTTP; GATEWAY_OTEL_CONSOLE=1 prints them to the console instead.
// The plugin marks the spans itself (error.type = the catalog code); `gatewaySpanAttributes` puts the
// code on the HTTP server span, which @opentelemetry/instrumentation-http writes last.
import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { FastifyOtelInstrumentation } from '@fastify/otel'
import { gatewaySpanAttributes } from 'fastify-gateway-errors/otel'

export type TelemetryMode = 'otlp' | 'console' | 'off'

export function telemetryMode (env: NodeJS.ProcessEnv = process.env): TelemetryMode {
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined && env.OTEL_EXPORTER_OTLP_ENDPOINT !== '') return 'otlp'
  return env.GATEWAY_OTEL_CONSOLE === '1' ? 'console' : 'off'
}

/** Starts tracing and metrics; returns a function that flushes and stops them. */
export function startTelemetry (mode: TelemetryMode = telemetryMode()): () => Promise<void> {
  if (mode === 'off') return async () => {}
  const resource = resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? 'example-gateway' })
  const spanProcessor = mode === 'otlp' ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }) : new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() })
  const tracerProvider = new TracerProvider({ resource, spanProcessors: [spanProcessor] })
  const reader = new PeriodicExportingMetricReader({
    exporter: mode === 'otlp' ? new OTLPMetricExporter() : new ConsoleMetricExporter(),
    exportIntervalMillis: mode === 'otlp' ? 10_000 : 60_000
  })
  const meterProvider = new MeterProvider({ resource, readers: [reader] })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)
  registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({ applyCustomAttributesOnSpan: gatewaySpanAttributes }),
      new UndiciInstrumentation(),
      new FastifyOtelInstrumentation({ registerOnInitialization: true })
    ]
  })
  return async () => { await tracerProvider.shutdown(); await meterProvider.shutdown() }
}
