// What a route declares under `config.gatewayErrors` (its envelope, the codes it may answer),
// checked when the route is added, and the per-request envelope choice (`envelopeFor`).
import type { FastifyRequest, RouteOptions } from 'fastify'
import type { GatewayErrorCode, Registry } from './catalog'
import { fail, PREFIX } from './options'
import { envelopeNames, envelopes, isEnvelopeName, type Envelope, type EnvelopeName, type ExtraCode } from './reply'

/** Per-route choices, under the route's `config.gatewayErrors`. */
export interface RouteGatewayErrorsConfig {
  /** The envelope of this route's error replies, e.g. `anthropic` for /v1/messages. */
  envelope?: EnvelopeName
  /** The codes this route may return: only their statuses are documented, with `code` narrowed to them. */
  codes?: ReadonlyArray<GatewayErrorCode | ExtraCode>
}

declare module 'fastify' {
  interface FastifyContextConfig {
    gatewayErrors?: RouteGatewayErrorsConfig
  }
}

export function selectEnvelope (envelopeFor: (request: FastifyRequest) => EnvelopeName | undefined) {
  return (request: FastifyRequest): Envelope | undefined => {
    let name: unknown
    try {
      name = envelopeFor(request)
    } catch (error) {
      request.log.error({ err: error }, `${PREFIX}: envelopeFor threw; using the route's envelope`)
    }
    return isEnvelopeName(name) ? envelopes[name] : undefined
  }
}

export function routeConfig (route: RouteOptions, registry: Registry): {
  envelope: EnvelopeName | undefined,
  codes: GatewayErrorCode[] | undefined
} {
  const config = (route.config as { gatewayErrors?: unknown } | undefined)?.gatewayErrors
  if (config === undefined) return { envelope: undefined, codes: undefined }
  const where = `route ${String(route.method)} ${route.url}: config.gatewayErrors`
  if (config === null || typeof config !== 'object') fail(`${where} must be an object`)
  const { envelope, codes } = config as { envelope?: unknown, codes?: unknown }
  if (envelope !== undefined && !isEnvelopeName(envelope)) {
    fail(`${where}.envelope must be one of ${envelopeNames.join(', ')}`)
  }
  if (codes !== undefined) {
    if (!Array.isArray(codes)) fail(`${where}.codes must be an array of catalog codes`)
    const unknown = codes.filter((code) => !registry.has(code))
    if (unknown.length > 0) fail(`${where}.codes has codes not in the catalog: ${unknown.map(String).join(', ')}`)
  }
  return { envelope, codes: codes as GatewayErrorCode[] | undefined }
}
