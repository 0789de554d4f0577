// The catalog: the codes (data, frozen), their details and messages, what their waits mean, and the
// registry of one app (the catalog with the app's own codes) every other part is handed.
export { catalog, codes, isGatewayErrorCode } from './catalog'
export type {
  CatalogEntry, ExtraCodeDefinition, GatewayErrorCode, GatewayErrorDetails, GatewayErrorStatus, SendableCode
} from './catalog'
export { registryFor, type Registry } from './registry'
export { parseRetryAfter, parseRetryAfterMs, SHARED_CAPACITY_CODES, type RetryJitter } from './retry-after'
