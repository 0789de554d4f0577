// Helpers for Fastify's server options: errors Fastify answers before any plugin hook runs.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Duplex } from 'node:stream'
import { envelopes } from '../reply/envelopes'
import { baseRegistry } from '../catalog/registry'

type Translate = (reply: FastifyReply, error: unknown) => FastifyReply
const translators = new WeakMap<FastifyInstance, Translate>()

/** Called by the plugin, so that the server's framework-error handler finds it. */
export function registerTranslator (instance: FastifyInstance, translate: Translate): void {
  translators.set(instance, translate)
}

/** An OpenAI-envelope body built without a request: for the few replies made outside the plugin. */
export function bareBody (code: 'invalid_request' | 'internal_error', requestId: string, reason?: string): unknown {
  const entry = baseRegistry.entries[code]
  const message = reason === undefined ? entry.message : `${entry.message}: ${reason}`
  return envelopes.openai.body({ entry, message, param: null, details: undefined, requestId })
}

/**
 * Fastify answers a malformed URL (FST_ERR_BAD_URL) and a failed async constraint before any plugin
 * hook or handler runs, unless the server is created with `frameworkErrors`:
 * `Fastify({ frameworkErrors: gatewayFrameworkErrors })`.
 */
export function gatewayFrameworkErrors (
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply
): FastifyReply {
  // Fastify builds this request and reply from its base classes: no decorators, so no
  // reply.gatewayErrorFrom; the plugin registered on this server is found by the server instead.
  const translate = translators.get(request.server)
  if (translate !== undefined) return translate(reply, error)
  return reply.code(400).send(bareBody('invalid_request', String(request.id)))
}

const CLIENT_ERROR_RESPONSE = (() => {
  const body = JSON.stringify(bareBody('invalid_request', 'none', 'the HTTP request could not be parsed'))
  return 'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\n' +
    'x-content-type-options: nosniff\r\nx-should-retry: false\r\n' +
    `connection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
})()

/**
 * Requests Node's HTTP parser rejects (a CR or LF inside a header value, oversized headers, garbage)
 * never reach Fastify's routing: `Fastify({ clientErrorHandler: gatewayClientErrorHandler })` answers
 * them with a catalog `invalid_request` instead of Fastify's own body. When the bad bytes follow a
 * request whose response is still being written on the connection (a stream, pipelining), nothing
 * is written: a status line in the middle of that response would corrupt it. The connection closes.
 */
export function gatewayClientErrorHandler (error: NodeJS.ErrnoException, socket: Duplex): void {
  // Node keeps the response being written on its socket; no public API says whether there is one.
  const inFlight = (socket as Duplex & { _httpMessage?: unknown })._httpMessage
  const writable = error.code !== 'ECONNRESET' && !socket.destroyed && socket.writable
  if (writable && (inFlight === undefined || inFlight === null)) {
    socket.write(CLIENT_ERROR_RESPONSE)
  }
  socket.destroy(error)
}
