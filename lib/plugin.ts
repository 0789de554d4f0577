// Wiring only: decorators, hooks, the error and not-found handlers, and the onRoute hook.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import {
  catalog, isGatewayErrorCode, parseRetryAfter, parseRetryAfterMs, registryFor, SHARED_CAPACITY_CODES,
  type GatewayErrorCode, type RetryJitter, type SendableCode
} from './catalog'
import { fail, PREFIX, validateOptions, type GatewayErrorsOptions, type ResolvedOptions } from './options'
import { createRouteDocs, documentRoute, foreignErrorStatuses } from './openapi'
import { registerDocsRoutes } from './pages'
import {
  createDisconnectTracker, createRepeatedCauses, createSender, createSerializers, createStreamGuard, envelopes,
  headerSafeId, isGatewayError, markArrivals, SEQUENTIAL_ID, translateError, validationErrorFormatter,
  type DetailsOf, type Envelope, type ExtraCode, type RouteErrorContext
} from './reply'
import { routeConfig, selectEnvelope } from './route-config'
import { bareBody, createRouteTable, registerTranslator } from './server'
import {
  handlerStarted, kAbortController, kDisconnectRecorded, kReply, kRouteErrorContext, kStartedAt
} from './symbols'
import { keepServerSpans } from './telemetry/telemetry'

export type { GatewayErrorsOptions } from './options'
export type { RouteGatewayErrorsConfig } from './route-config'

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Replies with a catalog error, or a code of your own (declared in `GatewayErrorExtraCodes` and
     * passed in `extraCodes`): its status, headers and body in the route's envelope.
     */
    gatewayError<C extends SendableCode | ExtraCode>(code: C, details?: DetailsOf<C>): FastifyReply
    /** Translates anything thrown into a catalog error and replies with it. For apps with their own error handler. */
    gatewayErrorFrom(error: unknown): FastifyReply
  }
  interface FastifyRequest {
    /** Aborts when the client closes the connection before the reply completes; pass it to upstream fetches. */
    readonly abortSignal: AbortSignal
  }
}

const NO_HINTS = {}

function retryJitterOf (option: ResolvedOptions['retryJitter']): RetryJitter | undefined {
  if (option === false) return undefined
  const codes = option.codes ?? SHARED_CAPACITY_CODES
  const unknown = codes.filter((code) => !isGatewayErrorCode(code) || !catalog[code].retryable)
  if (unknown.length > 0) {
    fail(`option 'retryJitter.codes' has codes that are not retryable catalog codes: ${unknown.join(', ')}`)
  }
  return { ratio: option.ratio ?? 0.5, codes: new Set(codes) }
}

function retryAfterOf (reply: FastifyReply): number | undefined {
  return parseRetryAfterMs(reply.getHeader('retry-after-ms')) ?? parseRetryAfter(reply.getHeader('retry-after'))
}

async function gatewayErrorsPlugin (fastify: FastifyInstance, rawOptions: GatewayErrorsOptions): Promise<void> {
  if (fastify.hasReplyDecorator('gatewayError')) {
    fail('already registered on this instance; register it once, at the root')
  }
  const options = validateOptions(rawOptions)
  const registry = registryFor(options.extraCodes)
  const defaultEnvelope = envelopes[options.envelope]
  const negotiated = options.negotiate ? envelopes.problem : undefined
  const routeContexts = { any: false }
  const serializers = createSerializers(options.serializerOpts, registry)
  const docsBase = options.docsUrl ?? options.docsRoute
  const docUrls: Partial<Record<GatewayErrorCode, string>> =
    docsBase === undefined ? {} : Object.fromEntries(registry.codes.map((code) => [code, `${docsBase}/${code}`]))
  const { send, recordDisconnect, streamFrame } = createSender({
    registry,
    routeContexts,
    envelope: defaultEnvelope,
    negotiated,
    select: options.envelopeFor === undefined ? undefined : selectEnvelope(options.envelopeFor),
    onGatewayError: options.onGatewayError,
    checkDetails: options.checkDetails,
    undeclared: options.undeclaredCodes,
    serializerFor: (envelope, status) => serializers.forStatus(envelope, status as never),
    stampsRequestId: options.requestIdHeader,
    docUrls,
    jitter: retryJitterOf(options.retryJitter)
  })
  const repeats = options.logRepeatsMs === false ? undefined : createRepeatedCauses(fastify.log, options.logRepeatsMs)
  if (repeats !== undefined) fastify.addHook('onClose', (_instance, done) => { repeats.stop(); done() })

  function sendTranslated (reply: FastifyReply, error: unknown): FastifyReply {
    // A GatewayError states its own wait; anything else may come with a limiter's header.
    const translation = translateError(
      error,
      isGatewayError(error) ? NO_HINTS : { retryAfterMs: retryAfterOf(reply) },
      registry.has
    )
    logTranslated(reply, error, translation.code, translation.unexpected)
    return send(reply, translation.code, translation.details, { error, trusted: translation.trusted })
  }

  // Only the unknown is an error. What a library raises on purpose (load shedding, a limit) and a
  // GatewayError with a cause (an upstream fault) are logged so an operator can see why.
  // A cause that repeats (an outage) is logged in full once per interval, then counted (log-repeats.ts).
  function logTranslated (reply: FastifyReply, error: unknown, code: GatewayErrorCode, unexpected: boolean): void {
    if (unexpected) {
      if (repeats?.firstOf(code, error, 'error', String(reply.request.id)) === false) return
      reply.log.error({ err: error }, `${PREFIX}: unexpected error, replying ${code}`)
    } else if (isGatewayError(error)) {
      const requestId = String(reply.request.id)
      if (error.cause === undefined || repeats?.firstOf(code, error.cause, 'warn', requestId) === false) return
      reply.log.warn({ code, err: error.cause }, `${PREFIX}: ${code}, caused by`)
    } else if (code !== 'client_disconnected' && reply.statusCode !== 499) {
      reply.log.info(
        { code, statusCode: (error as { statusCode?: unknown } | null)?.statusCode },
        `${PREFIX}: replying ${code}`
      )
    }
  }

  function frameFor (reply: FastifyReply, error: unknown): string | undefined {
    const translation = translateError(error, NO_HINTS, registry.has)
    logTranslated(reply, error, translation.code, translation.unexpected)
    return streamFrame(reply, translation.code, translation.details, { error, trusted: translation.trusted })
  }

  registerTranslator(fastify, sendTranslated)
  const tracker = createDisconnectTracker({ record: recordDisconnect, recordAll: options.trackDisconnects })
  fastify.decorateRequest(kDisconnectRecorded, false)
  fastify.decorateRequest(kReply, null)
  fastify.decorateRequest(kAbortController, null)
  fastify.decorateRequest(kStartedAt, 0)
  if (options.onGatewayError !== undefined) markArrivals(fastify)
  keepServerSpans(fastify)
  fastify.decorateRequest('abortSignal', {
    getter (this: FastifyRequest) { return tracker.signalOf(this) }
  })
  const stampRequestId = options.requestIdHeader
  // Fastify's own ids (req-1, req-2…) repeat across instances and restarts: said once, at start-up
  // when the server's generator is Fastify's, else at the first request that carries one.
  let idsChecked = false
  const sequentialIds = `${PREFIX}: request ids are Fastify's sequential req-1, req-2…, ` +
    'the same in every instance and after ' +
    'every restart, so a request id a user reports cannot be traced; use Fastify({ genReqId: gatewayGenReqId })'
  fastify.addHook('onReady', function noticeSequentialIds (done) {
    if ((this as FastifyInstance & { genReqId?: { name?: string } }).genReqId?.name === 'defaultGenReqId') {
      idsChecked = true
      this.log.info(sequentialIds)
    }
    done()
  })

  // What every request needs, done by the route's handler itself rather than by an onRequest hook:
  // the hook counted 300–600 more instructions a request (bench/instructions.js).
  function prepareRequest (request: FastifyRequest, reply: FastifyReply): void {
    tracker.watch(reply)
    if (stampRequestId) reply.header('x-request-id', headerSafeId(request.id))
    if (!idsChecked) {
      idsChecked = true
      if (SEQUENTIAL_ID.test(String(request.id))) request.log.info(sequentialIds)
    }
  }

  // Every reply of the routes added after the plugin passes here. One sent before the route's handler
  // began (a CORS preflight, a cache hook answering itself) gets its x-request-id here; error replies
  // have it already (reply/sender.ts sets it wherever the handler did not).
  const guardStream = createStreamGuard(frameFor, options.onStreamEnd)
  fastify.addHook('onSend', function gatewayErrorsOnSend (request, reply, payload, done) {
    if (stampRequestId && !handlerStarted(request) && !reply.hasHeader('x-request-id')) {
      reply.header('x-request-id', headerSafeId(request.id))
    }
    guardStream(reply, payload)
    done(null, payload)
  })

  fastify.decorateReply('gatewayError', function (
    this: FastifyReply,
    code: GatewayErrorCode | ExtraCode,
    details?: unknown
  ) {
    return send(this, code as GatewayErrorCode, details)
  })
  fastify.decorateReply('gatewayErrorFrom', function (this: FastifyReply, error: unknown) {
    return sendTranslated(this, error)
  })

  if (options.errorHandler) {
    fastify.setErrorHandler(function gatewayErrorHandler (
      error: FastifyError,
      _request: FastifyRequest,
      reply: FastifyReply
    ) {
      try {
        return sendTranslated(reply, error)
      } catch (failure) {
        // Never let Fastify's fallback handler answer: it would show the original message.
        reply.log.error({ err: failure }, `${PREFIX}: the error reply failed; sending a bare internal_error`)
        return reply.code(500).header('x-should-retry', 'false').serializer(JSON.stringify).send(bareBody(
          'internal_error',
          headerSafeId(reply.request.id)
        ))
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
        return send(reply, 'method_not_allowed', { method: request.method, allowed }, { trusted: true })
      }
      return send(reply, 'resource_not_found', undefined)
    })
  }

  const docsFor = options.routeSchemas !== false
    ? createRouteDocs({
      granularity: options.routeSchemas === 'ranges' ? 'range' : 'status',
      envelopes: Object.values(envelopes),
      alternates: negotiated === undefined ? [] : [negotiated],
      registry,
      docUrls
    })
    : undefined

  if (options.docsRoute !== undefined) {
    registerDocsRoutes(
      fastify,
      options.docsRoute,
      (code) => docUrls[code] as string,
      registry
    )
  }

  fastify.addHook('onRoute', function (this: FastifyInstance, route: RouteOptions) {
    table.add(route.method, route.url)
    route.handler = withRequestSetUp(route.handler, prepareRequest)
    const config = routeConfig(route, registry)
    const envelope = config.envelope === undefined ? defaultEnvelope : envelopes[config.envelope]
    const ownSchemas = foreignErrorStatuses(route.schema, registry.statuses)
    if (ownSchemas.size > 0) {
      this.log.info({ route: `${String(route.method)} ${route.url}`, statuses: [...ownSchemas] },
        `${PREFIX}: the route declares its own schema for these error statuses; ` +
        'catalog errors on them keep the catalog\'s shape, documented beside yours')
    }
    if (docsFor !== undefined) documentRoute(route, docsFor(envelope, config.codes))
    if (options.errorHandler && route.schemaErrorFormatter === undefined) {
      // Validation failures become GatewayErrors at once: no message or stack built only to be translated.
      route.schemaErrorFormatter = validationErrorFormatter as RouteOptions['schemaErrorFormatter']
    }
    if (stampRequestId && envelope.requestIdHeader !== 'x-request-id') addRequestIdHook(route, envelope)
    if (envelope !== defaultEnvelope || config.codes !== undefined) {
      // Kept in the route's config, which Fastify copies into the route context: it applies to
      // errors raised anywhere in the request, hooks that run before the route's own included.
      const context: RouteErrorContext = {
        envelope,
        declared: config.codes === undefined ? undefined : new Set(config.codes)
      }
      route.config = { ...route.config, [kRouteErrorContext]: context } as RouteOptions['config']
      routeContexts.any = true
    }
  })
}

type Handler = RouteOptions['handler']

function withRequestSetUp (handler: Handler, prepare: (request: FastifyRequest, reply: FastifyReply) => void): Handler {
  return function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    prepare(request, reply)
    return handler.call(this, request, reply)
  } as Handler
}

// Routes in the Anthropic envelope also carry the id where @anthropic-ai/sdk reads it, on every reply.
function addRequestIdHook (route: RouteOptions, envelope: Envelope): void {
  const header = envelope.requestIdHeader
  const stamp = function stampEnvelopeRequestId (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    reply.header(header, headerSafeId(request.id))
    done()
  }
  const existing = route.onRequest
  route.onRequest = (existing === undefined
    ? [stamp]
    : [
        stamp,
        ...(Array.isArray(existing) ? existing : [existing])
      ]) as RouteOptions['onRequest']
}

export const gatewayErrors = fp(gatewayErrorsPlugin, {
  fastify: '5.x',
  name: 'fastify-gateway-errors'
})
