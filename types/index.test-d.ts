import Fastify, { type FastifyReply } from 'fastify'
import swagger from '@fastify/swagger'
import { expectAssignable, expectError, expectType } from 'tsd'
import gatewayErrors, {
  GatewayError, GatewayErrorSchemas, gatewayGenReqId, withGatewayErrors,
  type GatewayErrorBody, type GatewayErrorCode, type GatewayErrorDetails,
  type StreamDelivery, type GatewayErrorEvent
} from '..'
import { fetchUpstream, translateProviderError, type UpstreamResult } from '../dist/upstream'
import { CapabilityRoutingError, profileFromChatCompletion, selectProvider, type ProviderDescription, type ProviderRejection } from '../dist/routing'
import type { CodesWithStatus } from '../dist/catalog/catalog'

const app = Fastify()
app.register(gatewayErrors)
app.register(gatewayErrors, { envelope: 'anthropic', negotiate: true, onGatewayError: (event) => { expectType<GatewayErrorCode>(event.code) } })
expectError(app.register(gatewayErrors, { envelope: 'xml' }))

app.get('/x', async (_request, reply) => {
  expectType<FastifyReply>(reply.gatewayError('model_not_found', { model: 'gpt-9' }))
  reply.gatewayError('internal_error')
  // client_disconnected is recorded, never sent: not a code a reply can carry
  expectError(reply.gatewayError('client_disconnected'))
  reply.gatewayError('context_length_exceeded', { requested_tokens: 10, max_context_tokens: 5 })
  // an unknown code is a compile error
  expectError(reply.gatewayError('no_such_code'))
  // details are checked per code
  expectError(reply.gatewayError('model_not_found', { model: 42 }))
  expectError(reply.gatewayError('context_length_exceeded', { requested_tokens: 10 }))
  expectError(reply.gatewayError('rate_limit_exceeded', { retry_after_ms: 'soon' }))
  return reply.gatewayErrorFrom(new Error('x'))
})

app.get('/declared', { config: { gatewayErrors: { codes: ['model_not_found'], envelope: 'openai' } } }, async () => 'ok')
expectError(app.get('/bad', { config: { gatewayErrors: { codes: ['nope'] } } }, async () => 'ok'))

expectError(new GatewayError('nope'))
expectError(new GatewayError('model_not_found', { model: 1 }))
const error = new GatewayError('model_not_found', { model: 'm' })
expectType<'model_not_found'>(error.code)
expectType<{ model: string } | undefined>(error.details)

declare const anyError: GatewayError
if (anyError.is('context_length_exceeded')) {
  expectType<number | undefined>(anyError.details?.requested_tokens)
}

expectType<{ model: string }>({} as GatewayErrorDetails<'model_not_found'>)
expectAssignable<CodesWithStatus<404>>('model_not_found')
expectError<CodesWithStatus<404>>('rate_limit_exceeded')

declare const body: GatewayErrorBody<404>
expectType<'model_not_found' | 'resource_not_found'>(body.error.code)
expectType<string | null>(body.error.param)
expectType<string>(GatewayErrorSchemas[429].$id as string)

// request.abortSignal, per-request envelopes, the upstream helper, routing and swagger helpers
app.get('/signal', async (request) => {
  expectType<AbortSignal>(request.abortSignal)
  return 'ok'
})
app.register(gatewayErrors, { envelopeFor: (request) => request.headers['anthropic-version'] === undefined ? undefined : 'anthropic', routeSchemas: 'ranges' })
expectError(app.register(gatewayErrors, { routeSchemas: 'some' }))
expectType<Promise<UpstreamResult>>(fetchUpstream('http://127.0.0.1:1', { provider: 'p', timeoutMs: 1000 }))
expectError(fetchUpstream('http://127.0.0.1:1', { timeoutMs: 1000 }))
expectType<Promise<UpstreamResult>>(fetchUpstream('http://127.0.0.1:1', { provider: 'p', timeoutMs: 1000, idleTimeoutMs: false, totalTimeoutMs: 600_000, raw: true }))
expectError(fetchUpstream('http://127.0.0.1:1', { provider: 'p', timeoutMs: 1000, idleTimeoutMs: true }))
declare const result: UpstreamResult
expectType<Promise<StreamDelivery> | undefined>(result.delivered)
declare const delivery: StreamDelivery
expectType<'streaming' | 'completed' | 'failed' | 'client_disconnected' | 'cancelled'>(delivery.outcome)
expectType<number | undefined>(delivery.usage?.outputTokens)
declare const errorEvent: GatewayErrorEvent
expectType<StreamDelivery | undefined>(errorEvent.delivery)
app.register(gatewayErrors, { onStreamEnd: (event) => { expectType<StreamDelivery>(event.delivery); expectType<string>(event.requestId) } })
expectError(app.register(gatewayErrors, { onStreamEnd: 'bill' }))
const provider: ProviderDescription = { name: 'p', supports: { tools: true } }
expectType<ProviderDescription>(selectProvider(profileFromChatCompletion({ model: 'm', messages: [] }), { m: { id: 'm', providers: [provider] } }))
declare const routingError: CapabilityRoutingError
expectType<ProviderRejection[]>(routingError.rejections)
expectAssignable<GatewayError>(routingError)
const swaggerOptions = withGatewayErrors({ openapi: { info: { title: 't', version: '1' } } })
expectType<string>(swaggerOptions.refResolver.buildLocalReference({}, '', '', 0))
// A security scheme written inline keeps its literal type, which @fastify/swagger's options require.
const secured = withGatewayErrors({ openapi: { components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } } })
expectType<'http'>(secured.openapi.components.securitySchemes.bearer.type)
Fastify().register(swagger, secured)

// provider translation, from a reply or from an SDK's APIError
expectType<GatewayErrorCode>(translateProviderError({ status: 429, headers: { 'retry-after': '2' }, body: '{}' }).code)
expectType<GatewayErrorCode>(translateProviderError({ status: 400, headers: new Headers(), error: { type: 'error' } }, 'anthropic').code)
expectError(translateProviderError({ body: '{}' }, 1))

// Codes of your own: declared once for the compiler, passed once in `extraCodes`.
declare module 'fastify' {
  interface GatewayErrorExtraCodes {
    guardrail_blocked: { policy?: string }
  }
}
app.register(gatewayErrors, { extraCodes: { guardrail_blocked: { status: 403, message: 'Blocked by a guardrail policy' } } })
expectError(app.register(gatewayErrors, { extraCodes: { guardrail_blocked: { status: 403 } } }))
app.get('/guarded', { config: { gatewayErrors: { codes: ['guardrail_blocked', 'model_not_found'] } } }, async (_request, reply) => {
  expectType<FastifyReply>(reply.gatewayError('guardrail_blocked', { policy: 'pii' }))
  reply.gatewayError('guardrail_blocked')
  expectError(reply.gatewayError('guardrail_blocked', { policy: 42 }))
  expectError(reply.gatewayError('not_declared_anywhere'))
  const error = new GatewayError('guardrail_blocked', { policy: 'pii' })
  expectType<'guardrail_blocked'>(error.code)
  expectType<{ policy?: string } | undefined>(error.details)
  expectError(new GatewayError('not_declared_anywhere'))
})
expectError(app.get('/undeclared', { config: { gatewayErrors: { codes: ['not_declared_anywhere'] } } }, async () => 'x'))

// Request ids: the generator fits Fastify's genReqId, with or without a trusted proxy's header.
Fastify({ genReqId: gatewayGenReqId })
Fastify({ requestIdHeader: false, genReqId: gatewayGenReqId.fromHeader({ header: 'x-request-id', trust: (request) => request.socket.remoteAddress === '10.0.0.1' }) })
expectType<string>(gatewayGenReqId())
expectError(gatewayGenReqId.fromHeader({}))
expectError(gatewayGenReqId.fromHeader({ header: 'x-request-id', trust: true }))
