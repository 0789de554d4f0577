// The OpenTelemetry SDK as an application sets it up, in memory: a tracer provider with an in-memory
// exporter, a meter provider read on demand, AsyncLocalStorage context, and the instrumentations
// users install (@fastify/otel, http, undici). Imported first, before http and fastify are loaded.
import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { FastifyOtelInstrumentation } from '@fastify/otel'
import { gatewaySpanAttributes } from '../../lib/telemetry'

export const spans = new InMemorySpanExporter()
export const metricExporter = new InMemoryMetricExporter(AggregationTemporality.DELTA)
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }))
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
export const fastifyOtel = new FastifyOtelInstrumentation({ registerOnInitialization: true })
registerInstrumentations({ instrumentations: [new HttpInstrumentation({ applyCustomAttributesOnSpan: gatewaySpanAttributes }), new UndiciInstrumentation(), fastifyOtel] })

/** The metric points collected so far, by metric name. */
export async function collectMetrics () {
  await reader.forceFlush()
  const points = new Map<string, Array<{ attributes: Record<string, unknown>, value: unknown }>>()
  for (const resource of metricExporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) {
      for (const metric of scope.metrics) {
        points.set(metric.descriptor.name, metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value })))
      }
    }
  }
  metricExporter.reset()
  return points
}
