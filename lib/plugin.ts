// Wiring only: options, decorators, the error and not-found handlers, and the onRoute hook.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Duplex } from 'node:stream'
import { createRouteTable } from './allowed-methods'
import { catalog, isGatewayErrorCode, type GatewayErrorCode, type GatewayErrorDetails } from './catalog'
import { envelopeNames, envelopes, isEnvelopeName, type EnvelopeName } from './envelopes'
import { GatewayError } from './gateway-error'
import { createSender, kDisconnectRecorded, kRouteErrorContext, kStartedAt, type GatewayErrorEvent, type RouteErrorContext } from './reply'
import { createRouteErrorSchemas } from './route-schemas'
import { translateError, validationErrorFormatter } from './translate'

export interface GatewayErrorsOptions {
  /** The envelope of error replies, unless a route chooses another. Default `openai`. */
  envelope?: EnvelopeName
  /** Serve RFC 9457 problem details to clients that send `Accept: application/problem+json`. Default false. */
  negotiate?: boolean
  /** Picks the envelope per request; return undefined to keep the route's. E.g. `(req) => req.headers['anthropic-version'] ? 'anthropic' : undefined`. */
  envelopeFor?: (request: FastifyRequest) => EnvelopeName | undefined
  /** Install the plugin's error handler. Set false when the app has its own; call `reply.gatewayErrorFrom(err)` there. Default true. */
  errorHandler?: boolean
  /** Install the not-found handler (404 resource_not_found, or 405 method_not_allowed with Allow). Default true. */
  notFoundHandler?: boolean
  /**
   * Attach the error response schemas to every route registered after the plugin: `true` (default)
   * one per status, so the docs list every status; `'ranges'` one for 4xx and one for 5xx, for apps
   * with many routes and no per-status docs (half the start-up memory); `false` none.
   */
  routeSchemas?: boolean | 'ranges'
  /** Called once for every gateway error, client_disconnected included. For logs and metrics. */
  onGatewayError?: (event: GatewayErrorEvent) => void
  /** Check details against the code's schema and log a warning on mismatch. Default: not in production. */
  checkDetails?: boolean
  /**
   * When a route emits a code it did not declare: `warn` (log), `error` (log and reply
   * internal_error), `throw` (reply.gatewayError throws, so a test fails loudly) or `off`.
   * Default: `warn`, `off` in production.
   */
  undeclaredCodes?: 'off' | 'warn' | 'error' | 'throw'
  /**
   * Record client_disconnected for every request whose client leaves before the reply completes
   * (one onRequest hook and one 'close' listener per request). With false, only errors that surface
   * after a disconnect are recorded, and `request.abortSignal` watches the connection itself.
   * Default true.
   */
  trackDisconnects?: boolean
  /** Options for fast-json-stringify, as Fastify's own `serializerOpts`. */
  serializerOpts?: Record<string, unknown>
}

/** Per-route choices, under the route's `config.gatewayErrors`. */
export interface RouteGatewayErrorsConfig {
  /** The envelope of this route's error replies, e.g. `anthropic` for /v1/messages. */
  envelope?: EnvelopeName
  /** The codes this route may return: only their statuses are documented, with `code` narrowed to them. */
  codes?: readonly GatewayErrorCode[]
}

declare module 'fastify' {
  interface FastifyReply {
    /** Replies with a catalog error: its status, headers and body in the route's envelope. */
    gatewayError<C extends GatewayErrorCode>(code: C, details?: GatewayErrorDetails<C>): FastifyReply
    /** Translates anything thrown into a catalog error and replies with it. For apps with their own error handler. */
    gatewayErrorFrom(error: unknown): FastifyReply
  }
  interface FastifyRequest {
    /** Aborts when the client closes the connection before the reply completes; pass it to upstream fetches. */
    readonly abortSignal: AbortSignal
  }
  interface FastifyContextConfig {
    gatewayErrors?: RouteGatewayErrorsConfig
  }
}

const PREFIX = 'fastify-gateway-errors'
const BARE_INTERNAL_ERROR = { error: { message: catalog.internal_error.message, type: catalog.internal_error.type, code: 'internal_error', param: null, request_id: 'unknown', retryable: false } }
const translators = new WeakMap<FastifyInstance, (reply: FastifyReply, error: unknown) => FastifyReply>()
const kReply = Symbol('fastify-gateway-errors.reply')
const kAbortController = Symbol('fastify-gateway-errors.abort-controller')

function controllerOf (request: Record<symbol, AbortController | null>): AbortController {
  let controller = request[kAbortController] as AbortController | null
  if (controller === null) {
    controller = new AbortController()
    request[kAbortController] = controller
  }
  return controller
}
const OPTION_KEYS = new Set(['envelope', 'envelopeFor', 'negotiate', 'trackDisconnects', 'errorHandler', 'notFoundHandler', 'routeSchemas', 'onGatewayError', 'checkDetails', 'undeclaredCodes', 'serializerOpts'])

function fail (message: string): never {
  throw new TypeError(`${PREFIX}: ${message}`)
}

function checkBoolean (options: Record<string, unknown>, key: string): void {
  if (options[key] !== undefined && typeof options[key] !== 'boolean') fail(`option '${key}' must be a boolean`)
}

export function validateOptions (input: unknown): Required<Pick<GatewayErrorsOptions, 'envelope' | 'negotiate' | 'errorHandler' | 'notFoundHandler' | 'routeSchemas' | 'checkDetails' | 'undeclaredCodes' | 'trackDisconnects'>> & GatewayErrorsOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) fail('options must be an object')
  const options = input as Record<string, unknown>
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) fail(`unknown option '${key}'; known options: ${[...OPTION_KEYS].join(', ')}`)
  }
  if (options.envelope !== undefined && !isEnvelopeName(options.envelope)) fail(`option 'envelope' must be one of ${envelopeNames.join(', ')}`)
  for (const key of ['negotiate', 'errorHandler', 'notFoundHandler', 'checkDetails', 'trackDisconnects']) checkBoolean(options, key)
  if (options.routeSchemas !== undefined && typeof options.routeSchemas !== 'boolean' && options.routeSchemas !== 'ranges') fail("option 'routeSchemas' must be true, false or 'ranges'")
  if (options.onGatewayError !== undefined && typeof options.onGatewayError !== 'function') fail("option 'onGatewayError' must be a function")
  if (options.envelopeFor !== undefined && typeof options.envelopeFor !== 'function') fail("option 'envelopeFor' must be a function")
  if (options.undeclaredCodes !== undefined && !['off', 'warn', 'error', 'throw'].includes(options.undeclaredCodes as string)) fail("option 'undeclaredCodes' must be 'off', 'warn', 'error' or 'throw'")
  if (options.serializerOpts !== undefined && (options.serializerOpts === null || typeof options.serializerOpts !== 'object')) fail("option 'serializerOpts' must be an object")
  const production = process.env.NODE_ENV === 'production'
  const valid = options as GatewayErrorsOptions
  return {
    ...valid,
    envelope: valid.envelope ?? 'openai',
    negotiate: valid.negotiate ?? false,
    errorHandler: valid.errorHandler ?? true,
    notFoundHandler: valid.notFoundHandler ?? true,
    routeSchemas: valid.routeSchemas ?? true,
    trackDisconnects: valid.trackDisconnects ?? true,
    checkDetails: valid.checkDetails ?? !production,
    undeclaredCodes: valid.undeclaredCodes ?? (production ? 'off' : 'warn')
  }
}

function selectEnvelope (envelopeFor: (request: FastifyRequest) => EnvelopeName | undefined) {
  return (request: FastifyRequest) => {
    let name: unknown
    try {
      name = envelopeFor(request)
    } catch (error) {
      request.log.error({ err: error }, `${PREFIX}: envelopeFor threw; using the route's envelope`)
    }
    return isEnvelopeName(name) ? envelopes[name] : undefined
  }
}

function routeConfig (route: RouteOptions): { envelope: EnvelopeName | undefined, codes: GatewayErrorCode[] | undefined } {
  const config = (route.config as { gatewayErrors?: unknown } | undefined)?.gatewayErrors
  if (config === undefined) return { envelope: undefined, codes: undefined }
  const where = `route ${String(route.method)} ${route.url}: config.gatewayErrors`
  if (config === null || typeof config !== 'object') fail(`${where} must be an object`)
  const { envelope, codes } = config as { envelope?: unknown, codes?: unknown }
  if (envelope !== undefined && !isEnvelopeName(envelope)) fail(`${where}.envelope must be one of ${envelopeNames.join(', ')}`)
  if (codes !== undefined) {
    if (!Array.isArray(codes)) fail(`${where}.codes must be an array of catalog codes`)
    const unknown = codes.filter((code) => !isGatewayErrorCode(code))
    if (unknown.length > 0) fail(`${where}.codes has codes not in the catalog: ${unknown.map(String).join(', ')}`)
  }
  return { envelope, codes: codes as GatewayErrorCode[] | undefined }
}

// Fastify keeps a formatter set through its options under a private symbol: an app's own formatter
// is left in place (its errors are still translated, from error.validation).
function hasSchemaErrorFormatter (instance: FastifyInstance): boolean {
  for (let target: object | null = instance; target !== null; target = Object.getPrototypeOf(target)) {
    const symbol = Object.getOwnPropertySymbols(target).find((s) => s.description === 'fastify.schemaErrorFormatter')
    if (symbol !== undefined) return (instance as unknown as Record<symbol, unknown>)[symbol] != null
  }
  /* c8 ignore next 2 */
  return false // a Fastify that keeps it elsewhere: ours is set, as with no formatter
}

function retryAfterFromHeader (reply: FastifyReply): number | undefined {
  const header = Number(reply.getHeader('retry-after'))
  return Number.isFinite(header) && header >= 0 ? header * 1000 : undefined
}

async function gatewayErrorsPlugin (fastify: FastifyInstance, rawOptions: GatewayErrorsOptions): Promise<void> {
  if (fastify.hasReplyDecorator('gatewayError')) fail('already registered on this instance; register it once, at the root')
  const options = validateOptions(rawOptions)
  const defaultEnvelope = envelopes[options.envelope]
  const negotiated = options.negotiate ? envelopes.problem : undefined
  const routeContexts = { any: false }
  const { send, recordDisconnect } = createSender({
    routeContexts,
    envelope: defaultEnvelope,
    negotiated,
    select: options.envelopeFor === undefined ? undefined : selectEnvelope(options.envelopeFor),
    onGatewayError: options.onGatewayError,
    checkDetails: options.checkDetails,
    undeclared: options.undeclaredCodes
  })

  const sendTranslated = (reply: FastifyReply, error: unknown): FastifyReply => {
    const translation = translateError(error)
    const request = reply.request
    if (translation.unexpected) request.log.error({ err: error }, `${PREFIX}: unexpected error, replying ${translation.code}`)
    let details = translation.details
    if (translation.code === 'rate_limit_exceeded' && details?.retry_after_ms === undefined) {
      const wait = retryAfterFromHeader(reply)
      if (wait !== undefined) details = { ...details, retry_after_ms: wait }
    }
    return send(reply, translation.code, details, error, translation.trusted)
  }

  translators.set(fastify, sendTranslated)
  fastify.decorateRequest(kDisconnectRecorded as unknown as string, false)
  fastify.decorateRequest(kReply as unknown as string, null)
  fastify.decorateRequest(kAbortController as unknown as string, null)
  const trackAll = options.trackDisconnects
  fastify.decorateRequest('abortSignal', {
    getter (this: FastifyRequest) {
      const self = this as unknown as Record<symbol, AbortController | null>
      const known = self[kAbortController] !== null
      const controller = controllerOf(self)
      if (!known && !trackAll) {
        // Without the global hook, the signal watches the connection itself, from now on.
        const raw = this.raw
        if (raw.aborted) controller.abort(new GatewayError('client_disconnected'))
        else raw.once('close', () => { if (raw.aborted) controller.abort(new GatewayError('client_disconnected')) })
      }
      return controller.signal
    }
  })

  // The client left before the reply completed: record it once, and cancel what the handler
  // is waiting for (its upstream fetch, if it passed request.abortSignal). One listener per
  // request: `trackDisconnects: false` leaves it to the requests that ask for abortSignal.
  fastify.decorateRequest(kStartedAt as unknown as string, 0)
  if (trackAll) {
    fastify.addHook('onRequest', function keepReply (request, reply, done) {
      const self = request as unknown as Record<symbol, unknown>
      self[kReply] = reply
      self[kStartedAt] = performance.now()
      done()
    })
    fastify.addHook('onRequestAbort', function recordAbort (request, done) {
      const self = request as unknown as Record<symbol, unknown>
      controllerOf(self as Record<symbol, AbortController | null>).abort(new GatewayError('client_disconnected'))
      const reply = self[kReply] as FastifyReply | null
      if (reply !== null && !reply.raw.writableFinished) recordDisconnect(reply)
      done()
    })
  }
  fastify.decorateReply('gatewayError', function (this: FastifyReply, code: GatewayErrorCode, details?: unknown) {
    return send(this, code, details)
  })
  fastify.decorateReply('gatewayErrorFrom', function (this: FastifyReply, error: unknown) {
    return sendTranslated(this, error)
  })

  if (options.errorHandler) {
    if (!hasSchemaErrorFormatter(fastify)) fastify.setSchemaErrorFormatter(validationErrorFormatter as Parameters<FastifyInstance['setSchemaErrorFormatter']>[0])
    fastify.setErrorHandler(function gatewayErrorHandler (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
      try {
        return sendTranslated(reply, error)
      } catch (failure) {
        // Never let Fastify's fallback handler answer: it would show the original message.
        reply.log.error({ err: failure }, `${PREFIX}: the error reply failed; sending a bare internal_error`)
        return reply.code(500).header('x-should-retry', 'false').serializer(JSON.stringify).send(BARE_INTERNAL_ERROR)
      }
    })
  }

  const table = createRouteTable({
    ignoreTrailingSlash: fastify.initialConfig.ignoreTrailingSlash,
    ignoreDuplicateSlashes: fastify.initialConfig.ignoreDuplicateSlashes,
    caseSensitive: fastify.initialConfig.caseSensitive
  })
  if (options.notFoundHandler) {
    fastify.setNotFoundHandler(function gatewayNotFoundHandler (request: FastifyRequest, reply: FastifyReply) {
      const allowed = table.allowed(request.url)
      if (allowed.length > 0 && !allowed.includes(request.method)) {
        reply.header('allow', allowed.join(', '))
        return send(reply, 'method_not_allowed', { method: request.method, allowed })
      }
      return send(reply, 'resource_not_found', undefined)
    })
  }

  const routeSchemas = options.routeSchemas !== false
    ? createRouteErrorSchemas({
      granularity: options.routeSchemas === 'ranges' ? 'range' : 'status',
      envelopes: Object.values(envelopes),
      alternates: negotiated === undefined ? [] : [negotiated],
      serializerOpts: options.serializerOpts
    })
    : undefined
  for (const schema of routeSchemas?.shared ?? []) fastify.addSchema(schema)

  fastify.addHook('onRoute', function (this: FastifyInstance, route: RouteOptions) {
    table.add(route.method, route.url)
    const config = routeConfig(route)
    const envelope = config.envelope === undefined ? defaultEnvelope : envelopes[config.envelope]
    routeSchemas?.attach(route, this, envelope, config.codes)
    if (envelope !== defaultEnvelope || config.codes !== undefined) {
      // Kept in the route's config, which Fastify copies into the route context: it applies to
      // errors raised anywhere in the request, hooks that run before the route's own included.
      const context: RouteErrorContext = { envelope, declared: config.codes === undefined ? undefined : new Set(config.codes) }
      route.config = { ...route.config, [kRouteErrorContext]: context } as RouteOptions['config']
      routeContexts.any = true
    }
  })
}

/**
 * Fastify answers a malformed URL (FST_ERR_BAD_URL) and a failed async constraint before any plugin
 * hook or handler runs, unless the server is created with `frameworkErrors`:
 * `Fastify({ frameworkErrors: gatewayFrameworkErrors })`.
 */
export function gatewayFrameworkErrors (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // Fastify builds this request and reply from its base classes: no decorators, so no
  // reply.gatewayErrorFrom; the plugin registered on this server is found by the server instead.
  const translate = translators.get(request.server)
  if (translate !== undefined) return translate(reply, error)
  return reply.code(400).send({ error: { message: 'Malformed or invalid request', type: 'invalid_request_error', code: 'invalid_request', param: null, request_id: String(request.id), retryable: false } })
}

const CLIENT_ERROR_RESPONSE = (() => {
  const entry = catalog.invalid_request
  const body = JSON.stringify({ error: { message: `${entry.message}: the HTTP request could not be parsed`, type: entry.type, code: 'invalid_request', param: null, request_id: 'none', retryable: false } })
  return `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\nx-should-retry: false\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
})()

/**
 * Requests Node's HTTP parser rejects (a CR or LF inside a header value, oversized headers, garbage)
 * never reach Fastify's routing: `Fastify({ clientErrorHandler: gatewayClientErrorHandler })` answers
 * them with a catalog `invalid_request` instead of Fastify's own body.
 */
export function gatewayClientErrorHandler (error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code !== 'ECONNRESET' && !socket.destroyed && socket.writable) socket.write(CLIENT_ERROR_RESPONSE)
  socket.destroy(error)
}

export const gatewayErrors = fp(gatewayErrorsPlugin, {
  fastify: '5.x',
  name: 'fastify-gateway-errors'
})
