// The one path every error takes to the client: (code, details, request) → headers and a body in
// the route's envelope; or an SSE error event when the stream has already started; or, for
// status 0, only a record.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { catalog, isGatewayErrorCode, type GatewayErrorCode } from './catalog'
import type { Envelope, ErrorInstance, ResolvedEntry } from './envelopes'
import { messageFor } from './message'
import { toSafeJson } from './redact'
import { resolvedEntries } from './resolved'

// The openai SDK honours a wait only when it is under 60 s (`< 60_000`), the Vercel AI SDK likewise:
// a longer one would be replaced by their own short backoff. So the longest wait we state is 59 s.
export const MAX_RETRY_AFTER_MS = 59_000

/** What the observability hook sees, once per gateway error. */
export interface GatewayErrorEvent {
  code: GatewayErrorCode
  status: number
  retryable: boolean
  requestId: string
  method: string
  route: string | undefined
  elapsedMs: number
  /** True for client_disconnected: nothing was written. */
  disconnected: boolean
  /** The original error, when the reply translates one. */
  error?: unknown
}

/** Per-route choices, kept in the route's config only where they differ from the defaults. */
export interface RouteErrorContext {
  envelope: Envelope
  declared: ReadonlySet<GatewayErrorCode> | undefined
}

export interface SenderOptions {
  envelope: Envelope
  /** Serve this envelope to clients whose Accept asks for its media type. */
  negotiated: Envelope | undefined
  /** Picks an envelope per request (e.g. `anthropic` when an `anthropic-version` header is present). */
  select: ((request: FastifyRequest) => Envelope | undefined) | undefined
  onGatewayError: ((event: GatewayErrorEvent) => void) | undefined
  checkDetails: boolean
  /** Set once any route has its own envelope or declared codes; until then none is looked up. */
  routeContexts: { any: boolean }
  undeclared: 'off' | 'warn' | 'error' | 'throw'
}

/** `trusted`: the details were built by this package (translation, routing) and need no check or copy. */
export type SendGatewayError = (reply: FastifyReply, code: GatewayErrorCode, details: unknown, error?: unknown, trusted?: boolean) => FastifyReply

export const kRouteErrorContext = Symbol('fastify-gateway-errors.route')
/** When the request arrived (performance.now()), set by the plugin's onRequest hook. */
export const kStartedAt = Symbol('fastify-gateway-errors.started-at')
/** Set once client_disconnected has been recorded for a request, so it is recorded only once. */
export const kDisconnectRecorded = Symbol('fastify-gateway-errors.disconnect-recorded')

export interface Sender {
  send: SendGatewayError
  /** Records client_disconnected for a request whose client has gone (once per request). */
  recordDisconnect: (reply: FastifyReply, error?: unknown) => void
}

const SAFE_HEADER_VALUE = /^[\x21-\x7e]{1,128}$/

function headerSafeId (id: unknown): string {
  const text = String(id)
  return SAFE_HEADER_VALUE.test(text) ? text : text.replace(/[^\x21-\x7e]/g, '').slice(0, 128) || 'unknown'
}

function retryAfterMs (details: Record<string, unknown>): number | undefined {
  const wait = details.retry_after_ms
  return typeof wait === 'number' && Number.isFinite(wait) && wait >= 0 ? Math.min(Math.ceil(wait), MAX_RETRY_AFTER_MS) : undefined
}

export function createSender (options: SenderOptions): Sender {
  const checks = new Map<GatewayErrorCode, TypeCheck<any>>()
  const negotiatedType = options.negotiated?.contentType.split(';')[0]

  function checkDetails (request: FastifyRequest, code: GatewayErrorCode, details: unknown): void {
    let check = checks.get(code)
    if (check === undefined) {
      check = TypeCompiler.Compile(catalog[code].details)
      checks.set(code, check)
    }
    if (!check.Check(details)) {
      const first = check.Errors(details).First()
      request.log.warn({ code, path: first?.path, problem: first?.message }, `fastify-gateway-errors: details of the wrong shape for '${code}'`)
    }
  }

  function record (reply: FastifyReply, entry: ResolvedEntry, error: unknown): void {
    const request = reply.request
    const startedAt = (request as unknown as Record<symbol, number>)[kStartedAt] as number
    const elapsedMs = startedAt > 0 ? performance.now() - startedAt : reply.elapsedTime
    if (entry.status === 0) {
      const flags = request as unknown as Record<symbol, boolean>
      if (flags[kDisconnectRecorded]) return
      flags[kDisconnectRecorded] = true
      request.log.info({ code: entry.code, route: request.routeOptions.url, elapsedMs }, catalog[entry.code].message)
    }
    if (options.onGatewayError === undefined) return
    try {
      options.onGatewayError({
        code: entry.code,
        status: entry.status,
        retryable: entry.retryable,
        requestId: String(request.id),
        method: request.method,
        route: request.routeOptions.url,
        elapsedMs,
        disconnected: entry.status === 0,
        error
      })
    } catch (hookError) {
      request.log.error({ err: hookError }, 'fastify-gateway-errors: onGatewayError hook threw')
    }
  }

  function envelopeFor (request: FastifyRequest, routeEnvelope: Envelope): Envelope {
    if (negotiatedType !== undefined) {
      const accept = request.headers.accept
      if (accept !== undefined && accept.includes(negotiatedType)) return options.negotiated as Envelope
    }
    return options.select?.(request) ?? routeEnvelope
  }

  const send: SendGatewayError = function sendGatewayError (reply, requested, rawDetails, error, trusted = false) {
    const request = reply.request
    let code = requested
    if (!isGatewayErrorCode(code)) {
      request.log.error({ code: String(code) }, `fastify-gateway-errors: '${String(code)}' is not a catalog code; replying internal_error`)
      code = 'internal_error'
      rawDetails = undefined
    }
    const route = options.routeContexts.any
      ? (request.routeOptions?.config as unknown as Record<symbol, RouteErrorContext> | undefined)?.[kRouteErrorContext] ?? null
      : null
    if (route?.declared !== undefined && !route.declared.has(code) && options.undeclared !== 'off' && code !== 'client_disconnected') {
      const problem = `fastify-gateway-errors: '${code}' is not declared by route ${request.method} ${request.routeOptions.url}`
      if (options.undeclared === 'throw') throw new Error(`${problem}; declare it in config.gatewayErrors.codes`)
      request.log.warn({ code, route: request.routeOptions.url }, problem)
      if (options.undeclared === 'error') {
        code = 'internal_error'
        rawDetails = undefined
      }
    }
    // Whatever went wrong, a client that has gone can be told nothing.
    if (reply.raw.destroyed && !reply.raw.writableFinished) code = 'client_disconnected'
    const entry = resolvedEntries[code]
    if (options.onGatewayError !== undefined || entry.status === 0) record(reply, entry, error)
    if (entry.status === 0) {
      // The client is gone: nothing may be written. If it is not gone after all, close the socket
      // rather than leave the request hanging.
      if (!reply.sent) reply.hijack()
      if (!reply.raw.destroyed) reply.raw.destroy()
      return reply
    }

    let details: Record<string, unknown> | undefined
    let message = entry.message
    let param = entry.param
    if (rawDetails !== undefined && rawDetails !== null && typeof rawDetails === 'object') {
      try {
        if (options.checkDetails && !trusted) checkDetails(request, code, rawDetails)
        details = (trusted ? rawDetails : toSafeJson(rawDetails)) as Record<string, unknown>
        message = messageFor(code, rawDetails)
        if (typeof details.param === 'string') param = details.param
      } catch (detailsError) {
        // hostile details (a proxy, a getter that throws): the code stands, the details go
        request.log.warn({ code, err: detailsError }, `fastify-gateway-errors: details for '${code}' could not be read`)
        details = undefined
        message = entry.message
      }
    }

    const routeEnvelope = route === null ? options.envelope : route.envelope
    const envelope = envelopeFor(request, routeEnvelope)
    const requestId = headerSafeId(request.id)
    const instance: ErrorInstance = { entry, message, param, details, requestId }
    const body = envelope.body(instance)

    if (reply.raw.headersSent) {
      // A stream has started: the status line is gone, so the error travels as one SSE event and
      // the stream ends without [DONE].
      if (!reply.raw.writableEnded && !reply.raw.destroyed) reply.raw.end(envelope.sseFrame(JSON.stringify(body)))
      return reply
    }

    reply.code(entry.status)
    reply.header('content-type', envelope.contentType)
    reply.header('x-should-retry', entry.shouldRetry)
    reply.header('x-request-id', requestId)
    if (envelope.requestIdHeader !== 'x-request-id') reply.header(envelope.requestIdHeader, requestId)
    if (details !== undefined && entry.retryable) {
      const wait = retryAfterMs(details)
      if (wait !== undefined) {
        reply.header('retry-after', String(Math.ceil(wait / 1000)))
        reply.header('retry-after-ms', String(wait))
      }
    }
    // A body in another envelope than the route's schemas describe is not theirs to serialize.
    if (envelope !== routeEnvelope && envelope !== options.negotiated) reply.serializer(JSON.stringify)
    return reply.send(body)
  }

  return {
    send,
    recordDisconnect: (reply, error) => record(reply, resolvedEntries.client_disconnected, error)
  }
}
