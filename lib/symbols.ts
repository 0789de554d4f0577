// The symbols the plugin keeps on Fastify's and Node's objects, in one place, with what each holds.
import type { FastifyReply, FastifyRequest } from 'fastify'

/** On a route's config: its envelope and declared codes, where they differ from the defaults. */
export const kRouteErrorContext = Symbol('fastify-gateway-errors.route')
/** On a request: set once client_disconnected has been recorded, so it is recorded only once. */
export const kDisconnectRecorded = Symbol('fastify-gateway-errors.disconnect-recorded')
/** On a request: the AbortController behind `request.abortSignal`, made on first use. */
export const kAbortController = Symbol('fastify-gateway-errors.abort-controller')
/** On a raw response: the Fastify reply it belongs to, for its 'close' listener. */
export const kReply = Symbol('fastify-gateway-errors.reply')
/** On a raw response: the stream piped into it, whose delivery record an error event carries. */
export const kSource = Symbol('fastify-gateway-errors.source')
/** On a GatewayError: its details were built by this package (no check or copy needed). */
export const kTrustedDetails = Symbol('fastify-gateway-errors.trusted-details')
/**
 * On a request: when it arrived (performance.now(), in an onRequest hook, when onGatewayError is set),
 * else when the route's handler began; 0 until then. Fastify keeps its own only when it logs.
 */
export const kStartedAt = Symbol('fastify-gateway-errors.started-at')

/** What the plugin keeps on a request (decorated at register time, so every request has the slots). */
export interface RequestSlots {
  [kDisconnectRecorded]: boolean
  [kAbortController]: AbortController | null
  [kReply]: FastifyReply | null
  [kStartedAt]: number
}

/** What the plugin keeps on a raw response. */
export interface ResponseSlots {
  [kReply]?: FastifyReply
  [kSource]?: unknown
}

/** Whether the route's handler has begun: the plugin's per-request step (disconnects' watch) then keeps the reply. */
export function handlerStarted (request: FastifyRequest): boolean {
  return (request as FastifyRequest & RequestSlots)[kReply] !== null
}
