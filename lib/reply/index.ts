// The reply path: the sender (status, headers, body in the route's envelope), the envelopes and
// their schemas and serializers, the translation of anything thrown, GatewayError, the record of
// every error and of clients that leave, request ids, and the guard of streams sent with reply.send.
export { createSender, type RouteErrorContext } from './sender'
export { envelopeNames, envelopes, isEnvelopeName, type Envelope, type EnvelopeName } from './envelopes'
export { createSerializers } from './serializers'
export { translateError, validationErrorFormatter } from './translate'
export { GatewayError, isGatewayError, type DetailsOf, type ExtraCode, type GatewayErrorOptions } from './gateway-error'
export { GatewayErrorSchemas, type GatewayErrorBody } from './schemas'
export { markArrivals, type GatewayErrorEvent } from './record'
export { createDisconnectTracker } from './disconnects'
export { createStreamGuard, type StreamEndEvent } from './event-stream'
export { gatewayGenReqId, headerSafeId, SEQUENTIAL_ID, type GatewayGenReqIdOptions } from './request-id'
export { createRepeatedCauses } from './log-repeats'
