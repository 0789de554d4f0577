// The one path every error takes to the client: (code, details, request) → headers and a body in
// the route's envelope; or an SSE error event when the stream has already started; or, for
// status 0, only a record.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { GatewayErrorCode } from '../catalog/catalog'
import type { Registry } from '../catalog/registry'
import { detailsCheck } from '../catalog/details-check'
import type { Envelope, ErrorInstance, ResolvedEntry } from './envelopes'
import { messageFor } from '../catalog/message'
import { PREFIX } from '../options'
import { createRecorder, type GatewayErrorEvent } from './record'
import { toSafeJson } from '../upstream/redact'
import { headerSafeId } from './request-id'
import { createPlainBodies } from './plain-bodies'
import { markServerSpans } from '../telemetry/telemetry'
import type { Serializer } from './serializers'
import { capWait, jitteredWait, noWaitCures, waitTooLong, type RetryJitter } from '../catalog/retry-after'
import { kReply, kRouteErrorContext, type RequestSlots } from '../symbols'

export type { GatewayErrorEvent } from './record'

/** Per-route choices, kept in the route's config only where they differ from the defaults. */
export interface RouteErrorContext {
  envelope: Envelope
  declared: ReadonlySet<GatewayErrorCode> | undefined
}

export interface SenderOptions {
  /** The app's catalog, its own codes included. */
  registry: Registry
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
  /** The compiled serializer of an envelope's body for a status. */
  serializerFor: (envelope: Envelope, status: number) => Serializer
  /** Whether every route's handler sets x-request-id before it runs (`requestIdHeader`). */
  stampsRequestId: boolean
  /** Each code's documentation page, when there is one. */
  docUrls: Readonly<Partial<Record<GatewayErrorCode, string>>>
  /** Jitter added to the waits of shared-capacity codes; undefined for none. */
  jitter: RetryJitter | undefined
}

/** What a reply translates, when it translates something. */
export interface Translated {
  /** The error the reply answers: logged and recorded, never sent. */
  error?: unknown
  /** The details were built by this package (translation, routing) and need no check or copy. */
  trusted?: boolean
}

const NOTHING_TRANSLATED: Translated = Object.freeze({})

export type SendGatewayError =
  (reply: FastifyReply, code: GatewayErrorCode, details: unknown, translated?: Translated) => FastifyReply

export interface Sender {
  send: SendGatewayError
  /** Records client_disconnected for a request whose client has gone (once per request). */
  recordDisconnect: (reply: FastifyReply, error?: unknown) => void
  /** The SSE error event for a stream that has already started, recorded as the reply's error. */
  streamFrame:
  (reply: FastifyReply, code: GatewayErrorCode, details: unknown, translated?: Translated) => string | undefined
}

interface Prepared {
  requestId: string
  entry: ResolvedEntry
  envelope: Envelope
  /** The body to serialize, or, for a reply without details, `payload`: the body already serialized. */
  body: unknown
  payload: string | undefined
  wait: number | undefined
}

const passThrough = (payload: unknown): string => payload as string

export function createSender (options: SenderOptions): Sender {
  const negotiatedType = options.negotiated?.contentType.split(';')[0]
  const record = createRecorder(options.onGatewayError)
  const plainBodies = createPlainBodies(options.serializerFor, options.docUrls)
  const { entries } = options.registry

  function envelopeFor (request: FastifyRequest, routeEnvelope: Envelope): Envelope {
    if (negotiatedType !== undefined) {
      const accept = request.headers.accept
      if (accept !== undefined && accept.includes(negotiatedType)) return options.negotiated as Envelope
    }
    return options.select?.(request) ?? routeEnvelope
  }

  // request.routeOptions builds a new object on every read: read only once a route has a context.
  function routeOf (request: FastifyRequest): RouteErrorContext | null {
    if (!options.routeContexts.any) return null
    const config = (request.routeOptions as FastifyRequest['routeOptions'] | undefined)?.config
    return (config as { [kRouteErrorContext]?: RouteErrorContext } | undefined)?.[kRouteErrorContext] ?? null
  }

  function checkDeclared (
    request: FastifyRequest,
    route: RouteErrorContext | null,
    code: GatewayErrorCode
  ): GatewayErrorCode {
    if (
      route?.declared === undefined ||
      route.declared.has(code) ||
      options.undeclared === 'off' ||
      code === 'client_disconnected'
    ) {
      return code
    }
    const problem = `${PREFIX}: '${code}' is not declared by route ${request.method} ${request.routeOptions.url}`
    if (options.undeclared === 'throw') throw new Error(`${problem}; declare it in config.gatewayErrors.codes`)
    request.log.warn({ code, route: request.routeOptions.url }, problem)
    return options.undeclared === 'error' ? 'internal_error' : code
  }

  /** Everything about the reply but writing it; undefined when nothing may be written (status 0). */
  function prepare (
    reply: FastifyReply, requested: GatewayErrorCode, rawDetails: unknown, translated: Translated
  ): Prepared | undefined {
    const { error, trusted = false } = translated
    const request = reply.request
    let code = requested
    if (typeof code !== 'string' || (entries[code] as ResolvedEntry | undefined) === undefined) {
      request.log.error(
        { code: String(code) },
        `${PREFIX}: '${String(code)}' is not a catalog code; replying internal_error`
      )
      code = 'internal_error'
    }
    const route = routeOf(request)
    code = checkDeclared(request, route, code)
    if (code !== requested) rawDetails = undefined
    // A limit of zero advises no retry: every client that honours waits would sleep for nothing
    // (Claude Code retried such a 429 for minutes).
    if (code === 'rate_limit_exceeded' && noWaitCures(rawDetails)) code = 'insufficient_quota'
    // Whatever went wrong, a client that has gone can be told nothing.
    if (reply.raw.destroyed && !reply.raw.writableFinished) code = 'client_disconnected'
    let entry = entries[code]
    if (options.onGatewayError !== undefined || entry.status === 0) record(reply, entry, error)
    markServerSpans(request, reply.raw, entry)
    if (entry.status === 0) return undefined

    let details: Record<string, unknown> | undefined
    let message = entry.plainMessage
    let param = entry.param
    if (rawDetails !== undefined && rawDetails !== null && typeof rawDetails === 'object') {
      try {
        if (options.checkDetails && !trusted) warnOnShape(request, code, rawDetails)
        details = (trusted ? rawDetails : toSafeJson(rawDetails)) as Record<string, unknown>
        message = messageFor(code, rawDetails, options.registry.catalog)
        if (typeof details.param === 'string') param = details.param
      } catch (detailsError) {
        // hostile details (a proxy, a getter that throws): the code stands, the details go
        request.log.warn({ code, err: detailsError }, `${PREFIX}: details for '${code}' could not be read`)
        details = undefined
        message = entry.plainMessage
      }
    }
    // One wait, the same in the details and in the headers; none for a code not worth retrying, and
    // no retry advised when the wait asked for is longer than any client sleeps (the details say when).
    let wait: number | undefined
    if (details !== undefined && entry.retryable && waitTooLong(details)) {
      entry = entry.unretryable
    } else if (details !== undefined && entry.retryable) {
      wait = capWait(details.retry_after_ms)
      const jitter = options.jitter
      if (wait !== undefined && jitter?.codes.has(code) === true) wait = jitteredWait(wait, jitter.ratio)
      if (wait !== undefined && wait !== details.retry_after_ms) details = { ...details, retry_after_ms: wait }
    }
    const routeEnvelope = route === null ? options.envelope : route.envelope
    const envelope = envelopeFor(request, routeEnvelope)
    const requestId = headerSafeId(request.id)
    if (details === undefined) {
      return {
        requestId,
        entry,
        envelope,
        body: undefined,
        payload: plainBodies.payload(envelope, entry, requestId),
        wait
      }
    }
    const instance: ErrorInstance = { entry, message, param, details, requestId, docUrl: options.docUrls[code] }
    return { requestId, entry, envelope, body: envelope.body(instance), payload: undefined, wait }
  }

  function warnOnShape (request: FastifyRequest, code: GatewayErrorCode, details: unknown): void {
    const check = detailsCheck(code, options.registry.catalog[code])
    if (check.Check(details)) return
    const first = check.Errors(details).First()
    request.log.warn(
      { code, path: first?.path, problem: first?.message },
      `${PREFIX}: details of the wrong shape for '${code}'`
    )
  }

  function writeHeaders (reply: FastifyReply, prepared: Prepared): void {
    const { entry, envelope, wait, requestId } = prepared
    reply.code(entry.status)
    reply.type(envelope.contentType)
    reply.header('x-content-type-options', 'nosniff') // a body that echoes input is never read as HTML
    reply.header('x-should-retry', entry.shouldRetry)
    // Set already, to the same value, when the route's handler began (see the plugin's prepareRequest).
    if (!options.stampsRequestId || (reply.request as FastifyRequest & RequestSlots)[kReply] !== reply) {
      reply.header(
        'x-request-id',
        requestId
      )
    }
    if (envelope.requestIdHeader !== 'x-request-id') reply.header(envelope.requestIdHeader, requestId)
    if (wait !== undefined) {
      reply.header('retry-after', String(Math.ceil(wait / 1000)))
      reply.header('retry-after-ms', String(wait))
    } else if (!entry.retryable && reply.hasHeader('retry-after')) {
      // A limiter (or a hook) set it, but the code says retrying cannot help.
      reply.removeHeader('retry-after')
      reply.removeHeader('retry-after-ms')
    }
  }

  const send: SendGatewayError = function sendGatewayError (reply, code, rawDetails, translated = NOTHING_TRANSLATED) {
    const prepared = prepare(reply, code, rawDetails, translated)
    if (prepared === undefined) {
      // The client is gone: nothing may be written. If it is not gone after all, close the socket
      // rather than leave the request hanging.
      if (!reply.sent) reply.hijack()
      if (!reply.raw.destroyed) reply.raw.destroy()
      return reply
    }
    const { entry, envelope, body, payload } = prepared
    if (reply.raw.headersSent) {
      // A stream has started: the status line is gone, so the error travels as one SSE event and
      // the stream ends without [DONE].
      if (!reply.raw.writableEnded && !reply.raw.destroyed) {
        reply.raw.end(envelope.sseFrame(payload ?? JSON.stringify(body)))
      }
      return reply
    }
    writeHeaders(reply, prepared)
    // Already serialized: passed through, whatever serializer the route or a hook set.
    if (payload !== undefined) return reply.serializer(passThrough).send(payload)
    // Ours, not the route's: a route may declare its own schema for this status.
    reply.serializer(options.serializerFor(envelope, entry.status))
    return reply.send(body)
  }

  return {
    send,
    recordDisconnect: (reply, error) => {
      const entry = entries.client_disconnected
      markServerSpans(reply.request, reply.raw, entry)
      record(reply, entry, error)
    },
    streamFrame (reply, code, details, translated = NOTHING_TRANSLATED) {
      const prepared = prepare(reply, code, details, translated)
      return prepared === undefined
        ? undefined
        : prepared.envelope.sseFrame(prepared.payload ?? JSON.stringify(prepared.body))
    }
  }
}
