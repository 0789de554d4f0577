// `fastify-gateway-errors/otel`: what an application passes to its OpenTelemetry instrumentations.
// The plugin marks spans on its own when @opentelemetry/api is installed; see docs/telemetry.md.
export { gatewaySpanAttributes } from './telemetry'
export type { ErrorAttributes } from './telemetry'
