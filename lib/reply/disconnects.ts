// A client that leaves before its reply completes: `request.abortSignal` fires, so the upstream call
// it was waiting for is cancelled, and client_disconnected is recorded once.
//
// The signal is the response's 'close' before it has finished: it works for every method. The
// request's own 'close' (and Fastify's onRequestAbort) does not: on Node 20 to 26 it fires as soon as a
// POST body has been read, long before the client leaves.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { GatewayError } from './gateway-error'
import { kAbortController, kReply, kStartedAt, type RequestSlots, type ResponseSlots } from '../symbols'

export interface DisconnectTracker {
  /** Called once per request, as the route's handler begins (the plugin's prepareRequest). */
  watch (reply: FastifyReply): void
  /** The getter behind `request.abortSignal`. */
  signalOf (request: FastifyRequest): AbortSignal
}

function hasLeft (response: ServerResponse): boolean {
  return response.destroyed && !response.writableEnded
}

const kWatched = Symbol('fastify-gateway-errors.watched-socket')
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null, [kWatched]?: true }

export interface DisconnectTrackerOptions {
  /** Called once a client has gone, for every request when `recordAll`, else never here. */
  record: (reply: FastifyReply) => void
  recordAll: boolean
}

export function createDisconnectTracker ({ record, recordAll }: DisconnectTrackerOptions): DisconnectTracker {
  function controllerOf (request: FastifyRequest): AbortController {
    const self = request as FastifyRequest & RequestSlots
    let controller = self[kAbortController]
    if (controller === null) {
      controller = new AbortController()
      self[kAbortController] = controller
      const reply = self[kReply]
      if (reply !== null && hasLeft(reply.raw)) controller.abort(new GatewayError('client_disconnected'))
    }
    return controller
  }

  // One listener function for all responses: no closure per request.
  function onResponseClose (this: ServerResponse): void {
    if (this.writableEnded) return // the reply was completed (light-my-request never sets writableFinished)
    const reply = (this as ServerResponse & ResponseSlots)[kReply] as FastifyReply
    const controller = (reply.request as FastifyRequest & RequestSlots)[kAbortController]
    if (controller !== null && !controller.signal.aborted) controller.abort(new GatewayError('client_disconnected'))
    if (recordAll) record(reply)
  }

  // HTTP/1: one listener per connection, not per response. Node keeps the response in flight on its
  // socket (`_httpMessage`, also what its own per-response close handling reads).
  function onSocketClose (this: HttpSocket): void {
    const response = this._httpMessage
    if (response != null) onResponseClose.call(response) // null once a reply has completed
  }

  return {
    watch (reply) {
      const response = reply.raw as ServerResponse & ResponseSlots
      response[kReply] = reply
      const request = reply.request as FastifyRequest & RequestSlots
      request[kReply] = reply
      if (request[kStartedAt] === 0) request[kStartedAt] = performance.now() // no onRequest hook marked it
      const socket = response.socket as HttpSocket | null
      if (socket !== null && socket._httpMessage === response) {
        if (socket[kWatched] !== true) {
          socket[kWatched] = true
          socket.on('close', onSocketClose)
        }
      } else {
        response.on('close', onResponseClose) // HTTP/2 (and a pipelined response not yet on its socket)
      }
    },
    signalOf: (request) => controllerOf(request).signal
  }
}
