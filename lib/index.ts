// The public surface: what a gateway author uses to reply with catalog errors. Calling providers
// (fetchUpstream, translateProviderError, the attempt loop, redaction) is its own entry,
// `fastify-gateway-errors/upstream`; the capability router, which needs no Fastify,
// `fastify-gateway-errors/routing`; OpenTelemetry hooks, `fastify-gateway-errors/otel`. The
// package's CommonJS entry (dist/main.js, generated from this module's exports by
// scripts/build-entry.js) is the plugin itself, carrying these names, as Fastify's own plugins are.
import { gatewayErrors } from './plugin'

export { gatewayErrors }
export default gatewayErrors
export type { RouteGatewayErrorsConfig } from './plugin'
export type { GatewayErrorsOptions } from './options'
export { catalog, codes, isGatewayErrorCode } from './catalog'
export type {
  CatalogEntry,
  ExtraCodeDefinition,
  GatewayErrorCode,
  GatewayErrorDetails,
  GatewayErrorStatus,
  SendableCode
} from './catalog'
export { GatewayError, GatewayErrorSchemas, gatewayGenReqId, isGatewayError } from './reply'
export type {
  DetailsOf, EnvelopeName, ExtraCode, GatewayErrorBody, GatewayErrorEvent, GatewayErrorOptions,
  GatewayGenReqIdOptions, StreamEndEvent
} from './reply'
export type { StreamDelivery, StreamOutcome } from './upstream/events'
export type { StreamUsage } from './upstream/stream-usage'
export { withGatewayErrors } from './openapi'
export { gatewayClientErrorHandler, gatewayFrameworkErrors, gatewayLogSerializers } from './server'
