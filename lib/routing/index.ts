// `fastify-gateway-errors/routing`: the capability router, usable without Fastify.
export { checks, stages } from './checks'
export type { Check, Stage } from './checks'
export { CapabilityRoutingError } from './error'
export { estimateTokens, OPTIONAL_PARAMS, profileFromChatCompletion, profileFromResponses } from './profile'
export { explain, routeRequest, selectProvider } from './router'
export type { ModelLookup, ProviderRejection, RejectionReason, RoutingOptions } from './router'
export type * from './types'
