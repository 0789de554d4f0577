// A small OpenAI-compatible (and Anthropic-compatible) gateway on fastify-gateway-errors: API keys,
// scopes, plans, MFA, per-key rate limits, budgets and quotas, idempotency, a model catalog routed by
// the plugin's router, and fake upstream providers. Every catalog code has a natural home here.
// State lives in a store: in memory by default, in Redis when several instances share it.
import Fastify, { type FastifyServerOptions } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Redis } from 'ioredis'
import gatewayErrors, { GatewayError, gatewayClientErrorHandler, gatewayFrameworkErrors, gatewayGenReqId, withGatewayErrors, type GatewayErrorEvent } from 'fastify-gateway-errors'
import { routeRequest, type RequestProfile } from 'fastify-gateway-errors/routing'
import { createAuth, type AuthOptions } from './auth'
import { createBilling } from './billing'
import { createForwarder } from './forward'
import { limitJsonNesting } from './json-body'
import { createGuard, extraCodes } from './guard'
import { modelTable, type ProviderRecord } from './model-table'
import { inferenceRoutes } from './routes/inference'
import { messagesRoutes } from './routes/messages'
import { modelRoutes } from './routes/models'
import { projectRoutes } from './routes/projects'
import type { Services } from './routes/services'
import { createMemoryStore } from './store/memory'
import type { Store, StoreOptions } from './store/store'

export interface GatewayOptions extends AuthOptions, StoreOptions {
  upstreamUrl: string
  upstreamTimeoutMs?: number
  /** Defaults to an in-memory store; pass `createRedisStore(…)` to share state across instances. */
  store?: Store & { redis?: Redis, prefix?: string }
  logger?: FastifyServerOptions['logger']
  bodyLimit?: number
  rateLimitWindowMs?: number
  /** How long a reservation outlives its request's last sign of life (30 s), see billing.ts. */
  reservationLeaseMs?: number
  onGatewayError?: (event: GatewayErrorEvent) => void
}

export function build (options: GatewayOptions) {
  const store: Store & { redis?: Redis, prefix?: string } = options.store ?? createMemoryStore(options)
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    ajv: { customOptions: { removeAdditional: false } },
    // Ids unique across instances (req_ + 32 hex), never taken from the client: behind a proxy that
    // sets one, use gatewayGenReqId.fromHeader({ header: 'x-request-id', trust }) instead.
    requestIdHeader: false,
    genReqId: gatewayGenReqId,
    frameworkErrors: gatewayFrameworkErrors,
    clientErrorHandler: gatewayClientErrorHandler
  }).withTypeProvider<TypeBoxTypeProvider>()

  limitJsonNesting(app)

  // Documentation first, so that it sees every route: the OpenAPI document at /docs/json, Swagger UI at /docs.
  app.register(swagger, withGatewayErrors({
    openapi: {
      info: { title: 'Example LLM gateway', version: '1.0.0', description: 'Every error reply follows the fastify-gateway-errors catalog.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }]
    }
  }))
  app.register(swaggerUi, { routePrefix: '/docs' })

  app.register(gatewayErrors, {
    negotiate: true,
    docsRoute: '/errors', // every error links to its page, served here
    // A code of the gateway's own, beside the catalog's: it gets a page, a schema and docs like them.
    extraCodes,
    // Anthropic clients send anthropic-version on every request: answer them in their shape.
    envelopeFor: (request) => request.headers['anthropic-version'] === undefined ? undefined : 'anthropic',
    onGatewayError: options.onGatewayError
  })

  const auth = createAuth(store, options)
  const billing = createBilling(store, auth, { leaseMs: options.reservationLeaseMs })
  const services: Services = {
    store,
    auth,
    billing,
    forwarder: createForwarder(options.upstreamUrl, options.upstreamTimeoutMs ?? 10_000),
    guard: createGuard(),
    route: (profile: RequestProfile) =>
      routeRequest(profile, modelTable, { sort: profile.limits.maxPrice === undefined ? undefined : 'price' }) as ProviderRecord[]
  }

  app.register(async function api (app) {
    app.decorateRequest('caller', null as never)
    app.addHook('onRequest', auth.authenticate)
    // Per key, in its maker's window when a key made it (a new key is no fresh window), counted in Redis when the store has it (so across instances). Authentication, which
    // runs first, needs the store: with Redis down every request is already service_unavailable, and
    // a failure between the two lets the request through uncounted rather than refusing it.
    await app.register(rateLimit, {
      max: async (request) => request.caller?.rateLimit ?? 1000,
      timeWindow: options.rateLimitWindowMs ?? 60_000,
      keyGenerator: (request) => request.caller === null ? request.ip : request.caller.limitBucket ?? request.caller.id,
      ...(store.redis === undefined ? {} : { redis: store.redis, nameSpace: `${store.prefix ?? ''}rate:`, skipOnError: true }),
      errorResponseBuilder: (_request, context) => new GatewayError('rate_limit_exceeded', { limit: context.max, retry_after_ms: context.ttl })
    })
    await app.register(modelRoutes, services)
    await app.register(inferenceRoutes, services)
    await app.register(messagesRoutes, services)
    await app.register(projectRoutes, services)
  })

  // Every instance settles the reservations of instances that died (see billing.ts).
  const stopSweeping = billing.sweepEvery(app.log)
  app.addHook('onClose', async () => { stopSweeping(); await store.close() })
  return app
}
