import { gatewayErrors } from './plugin'

export { gatewayErrors } from './plugin'
export type { GatewayErrorsOptions, RouteGatewayErrorsConfig } from './plugin'
export { validateOptions } from './options'
export { gatewayClientErrorHandler, gatewayFrameworkErrors } from './server-options'
export {
  catalog, codes, sendableCodes, statuses, isGatewayErrorCode, codesWithStatus, codesFor
} from './catalog'
export type {
  Catalog, CatalogEntry, CodesWithStatus, ResponseKey, GatewayErrorCode, GatewayErrorDetails, GatewayErrorStatus, OpenAIErrorType, SendableCode
} from './catalog'
export { GatewayError, isGatewayError, kGatewayError } from './gateway-error'
export type { GatewayErrorOptions } from './gateway-error'
export { translateError, fieldPath } from './translate'
export type { Translation } from './translate'
export { messageFor } from './message'
export { maskSecret, redactString } from './redact'
export { GatewayErrorSchemas, errorSchema, exampleBody } from './schemas'
export type { GatewayErrorBody } from './schemas'
export { envelopes, envelopeNames } from './envelopes'
export type { Envelope, EnvelopeName } from './envelopes'
export { anthropicType } from './envelopes/anthropic'
export { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from './envelopes/problem'
export { MAX_RETRY_AFTER_MS } from './retry-after'
export type { GatewayErrorEvent } from './reply'
export { resolvedEntries } from './resolved'
export { fetchUpstream } from './upstream'
export type { UpstreamOptions } from './upstream'
export { catalogTable } from './docs'
export { transformOpenApi, withGatewayErrors } from './openapi'
export * from './routing'

export const fastifyGatewayErrors = gatewayErrors
export default gatewayErrors

// CommonJS: `require('fastify-gateway-errors')` is the plugin itself, carrying the named exports,
// as Fastify's own plugins do.
module.exports = Object.assign(gatewayErrors, module.exports, { default: gatewayErrors })
Object.defineProperty(module.exports, '__esModule', { value: true })
