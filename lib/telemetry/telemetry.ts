// OpenTelemetry, when the application has @opentelemetry/api (an optional peer dependency; without
// it, or without an SDK registered, nothing here costs more than a check). Conventions followed:
// `error.type` (stable) and HTTP server spans (stable: Error status for 5xx only); for provider calls
// the GenAI client spans and metrics of the semantic conventions v1.45.0 (Development).
import type * as OTelApi from '@opentelemetry/api'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'

const { version } = require('../../package.json') as { version: string }

/** The API, or undefined when the application has not installed it (telemetry is then off). */
export function loadApi (load: (id: string) => unknown = require): typeof OTelApi | undefined {
  try {
    return load('@opentelemetry/api') as typeof OTelApi
  } catch {
    return undefined
  }
}

let otel = loadApi()
const SCOPE = 'fastify-gateway-errors'
/** The context key under which a provider call's span is active, so fetchUpstream annotates it. */
let kUpstreamCall = otel?.createContextKey('fastify-gateway-errors.upstream-call')

/** Tests only: telemetry through another API, or none; returns the one it replaces. */
export function useApi (api: typeof OTelApi | undefined): typeof OTelApi | undefined {
  const previous = otel
  otel = api
  kUpstreamCall = api?.createContextKey('fastify-gateway-errors.upstream-call')
  instruments = undefined
  return previous
}
/** On a raw response: the catalog error it carries, for the HTTP server span's attributes. */
export const kErrorAttributes = Symbol('fastify-gateway-errors.error-attributes')
/** On a request: the span active when it arrived (the HTTP server span), when tracing is on. */
export const kServerSpan = Symbol('fastify-gateway-errors.server-span')

export type ErrorAttributes = {
  'error.type': string
  'gateway.error.retryable': boolean
  'gateway.request.id': string
}

type Attributes = Record<string, string | number | boolean | undefined>

/**
 * Marks the spans a request's error ends: the active span and @fastify/otel's request span (when
 * present) get `error.type` = the catalog code, the retryable flag and the request id; for a 5xx
 * their status is Error with an `exception` event (the code and the catalog message, never details).
 * The attributes are kept on the response for `gatewaySpanAttributes` (the HTTP server span).
 */
export interface MarkedError {
  code: string
  /** 0 for client_disconnected: recorded, not a server error. */
  status: number
  retryable: boolean
  /** The catalog message, never details. */
  message: string
}

type InstrumentedRequest = {
  id: unknown
  opentelemetry?: () => { span?: OTelApi.Span | null }
  [kServerSpan]?: OTelApi.Span | undefined
}

export function markServerSpans (request: InstrumentedRequest, response: object, error: MarkedError): void {
  if (otel === undefined || !tracingRegistered()) return // nothing records: no work on the error path
  const { code, status, message } = error
  const attributes: ErrorAttributes = {
    'error.type': code,
    'gateway.error.retryable': error.retryable,
    'gateway.request.id': String(request.id)
  }
  ;(response as { [kErrorAttributes]?: ErrorAttributes })[kErrorAttributes] = attributes
  try {
    const spans = new Set([otel.trace.getActiveSpan(), request[kServerSpan]])
    if (typeof request.opentelemetry === 'function') spans.add(request.opentelemetry().span ?? undefined)
    for (const span of spans) {
      if (span === undefined || !span.isRecording()) continue
      keepErrorType(span).setAttributes(attributes)
      if (status >= 500) {
        span.setStatus({ code: otel.SpanStatusCode.ERROR, message: code })
        span.addEvent('exception', { 'exception.type': code, 'exception.message': message })
      }
    }
  } catch {
    // a tracer or an instrumentation that throws (@fastify/otel without a tracer) marks nothing
  }
}

const writers = new WeakMap<OTelApi.Span, Pick<OTelApi.Span, 'setAttribute' | 'setAttributes'>>()

/**
 * The span, with its later writes of `error.type` ignored: instrumentation-http sets the status code
 * there when the response ends, after the plugin has put the catalog code. Returns the span's own
 * writers, for the plugin's writes.
 */
function keepErrorType (span: OTelApi.Span): Pick<OTelApi.Span, 'setAttributes'> {
  let own = writers.get(span)
  if (own === undefined) {
    const setAttribute = span.setAttribute
    const setAttributes = span.setAttributes
    // the SDK's setAttributes calls this.setAttribute, which drops error.type from here on: the
    // plugin's own writes go through the original setAttribute, one by one
    own = {
      setAttribute: setAttribute.bind(span),
      setAttributes (attributes) {
        for (const key in attributes) setAttribute.call(span, key, attributes[key] as OTelApi.AttributeValue)
        return span
      }
    }
    writers.set(span, own)
    span.setAttribute = function (key, value) {
      return key === 'error.type' ? this : setAttribute.call(this, key, value)
    }
    span.setAttributes = function (attributes) {
      if (!('error.type' in attributes)) return setAttributes.call(this, attributes)
      const { 'error.type': _ignored, ...rest } = attributes
      return setAttributes.call(this, rest)
    }
  }
  return own
}

/** Whether an SDK's tracer provider is registered: only then is a request's server span kept. */
export function tracingRegistered (): boolean {
  if (otel === undefined) return false
  const provider = otel.trace.getTracerProvider() as { getDelegate?: () => object }
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider
  return delegate.constructor.name !== 'NoopTracerProvider'
}

const kProbe = Symbol('fastify-gateway-errors.server-span-probe')

/**
 * When a tracer provider is registered, keeps each request's HTTP server span (the span active at its
 * arrival), which error replies mark: with @fastify/otel, the handler runs under spans of its own.
 */
export function keepServerSpans (fastify: FastifyInstance): void {
  if (!tracingRegistered()) return
  fastify.decorateRequest(kServerSpan, undefined)
  fastify.addHook('onRequest', function keepServerSpan (request, _reply, done) {
    (request as FastifyRequest & { [kServerSpan]?: unknown })[kServerSpan] = serverSpanOf(request.raw)
    done()
  })
}

/**
 * The HTTP server span of a request. instrumentation-http binds its context to the request object,
 * so a listener on it runs in that context, even where @fastify/otel runs hooks under spans of its own.
 */
export function serverSpanOf (raw: IncomingMessage): OTelApi.Span | undefined {
  let span: OTelApi.Span | undefined
  raw.once(kProbe, () => { span = otel?.trace.getActiveSpan() })
  raw.emit(kProbe)
  return span
}

/**
 * For @opentelemetry/instrumentation-http's `applyCustomAttributesOnSpan`: the HTTP server span sets
 * `error.type` to the status code when the response ends, after the plugin; this puts the catalog
 * code back, with the retryable flag and the request id.
 */
export function gatewaySpanAttributes (
  span: OTelApi.Span, _request: unknown, response: ServerResponse | IncomingMessage
): void {
  const attributes = (response as { [kErrorAttributes]?: ErrorAttributes })[kErrorAttributes]
  if (attributes !== undefined) {
    span.setAttributes(attributes)
  } else if ((response as ServerResponse).writableFinished === false) {
    // The client left before the reply ended: nothing was (or will be) written to say so.
    span.setAttribute('error.type', 'client_disconnected')
  }
}

export interface UpstreamCallInfo {
  /** `gen_ai.operation.name`: chat, text_completion, embeddings… */
  operation: string
  provider: string
  model?: string
}

interface Instruments {
  duration: OTelApi.Histogram
  firstChunk: OTelApi.Histogram
}
let instruments: Instruments | undefined
function meters (api: typeof OTelApi): Instruments {
  if (instruments === undefined) {
    const meter = api.metrics.getMeter(SCOPE, version)
    instruments = {
      duration: meter.createHistogram('gen_ai.client.operation.duration', {
        unit: 's', description: 'GenAI operation duration'
      }),
      firstChunk: meter.createHistogram('gen_ai.client.operation.time_to_first_chunk', {
        unit: 's', description: 'Time to the first chunk of a streamed answer'
      })
    }
  }
  return instruments
}

export interface UpstreamCallSpan {
  /** The host the call went to (`server.address`, `server.port`). */
  setServer: (url: string | URL) => void
  /** The call failed with this catalog code; its details give the provider's status, when it answered. */
  failed: (code: string, details: unknown) => void
  /** The call succeeded; a result with `delivered` (a Promise) is a stream still running (the first chunk is in). */
  succeeded: (result: unknown) => void
}

function defined (attributes: Attributes): OTelApi.Attributes {
  const result: OTelApi.Attributes = {}
  for (const key in attributes) if (attributes[key] !== undefined) result[key] = attributes[key]
  return result
}

/** Runs one provider call in a CLIENT span (GenAI conventions), recording its duration. */
type Run<T> = (call: UpstreamCallSpan | undefined) => Promise<T>

export function upstreamCall<T> (info: UpstreamCallInfo, run: Run<T>): Promise<T> {
  if (otel === undefined || kUpstreamCall === undefined) return run(undefined)
  const api = otel
  const tracer = api.trace.getTracer(SCOPE, version)
  const name = info.model === undefined ? `${info.operation} ${info.provider}` : `${info.operation} ${info.model}`
  const base: Attributes = {
    'gen_ai.operation.name': info.operation,
    'gen_ai.provider.name': info.provider,
    'gen_ai.request.model': info.model
  }
  const span = tracer.startSpan(name, { kind: api.SpanKind.CLIENT, attributes: defined(base) })
  // No SDK registered (the API alone, pulled in by another package): nothing to record, nothing to pay.
  const metered = api.metrics.getMeterProvider().constructor.name !== 'NoopMeterProvider'
  if (!span.isRecording() && !metered) return run(undefined)
  const started = performance.now()
  const seconds = () => (performance.now() - started) / 1000
  const call: UpstreamCallSpan = {
    setServer (url) {
      try {
        const { hostname, port, protocol } = new URL(url)
        base['server.address'] = hostname
        const defaultPort = protocol === 'https:' ? 443 : 80
        span.setAttributes({ 'server.address': hostname, 'server.port': port === '' ? defaultPort : Number(port) })
      } catch {
        // not a URL: fetchUpstream refuses it as such
      }
    },
    failed (code, details) {
      const httpStatus = (details as { upstream?: { status?: unknown } } | null | undefined)?.upstream?.status
      span.setAttribute('error.type', code)
      if (typeof httpStatus === 'number') span.setAttribute('http.response.status_code', httpStatus)
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: code })
      span.end()
      meters(api).duration.record(seconds(), defined({ ...base, 'error.type': code }))
    },
    succeeded (result) {
      const stream = (result as { delivered?: unknown } | null | undefined)?.delivered
      const delivered = stream instanceof Promise ? stream : undefined
      const elapsed = seconds()
      if (delivered !== undefined) {
        span.setAttribute('gen_ai.response.time_to_first_chunk', elapsed)
        meters(api).firstChunk.record(elapsed, defined(base))
      }
      span.end()
      if (delivered === undefined) meters(api).duration.record(elapsed, defined(base))
      else delivered.then(() => meters(api).duration.record(seconds(), defined(base)), () => {})
    }
  }
  const active = api.trace.setSpan(api.context.active(), span).setValue(kUpstreamCall, call)
  return api.context.with(active, () => run(call))
}

/** The provider call whose span is active, if any: fetchUpstream annotates it rather than making one. */
export function activeUpstreamCall (): UpstreamCallSpan | undefined {
  if (otel === undefined || kUpstreamCall === undefined) return undefined
  return otel.context.active().getValue(kUpstreamCall) as UpstreamCallSpan | undefined
}
