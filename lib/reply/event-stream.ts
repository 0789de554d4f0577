// `reply.send(readable)` of an event stream whose source fails midway. Fastify destroys the socket
// when a piped source fails after the headers are out: the client sees a cut connection and no
// error. For event streams the response ends instead with the same single SSE error event as any
// started stream (no [DONE]). A source that fails before its first byte is left to Fastify, which
// makes it an ordinary error reply, with its status.
//
// The plugin's onSend hook (one function call a reply, cheaper than a listener on every response)
// adds a 'pipe' listener to the responses whose payload is a stream; the listener sees what is
// actually piped (a later hook may wrap the stream) and guards event streams only.
import type { ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import { PREFIX } from '../options'
import { kReply, kSource, type ResponseSlots } from '../symbols'
import { CheckedEventStream, type StreamDelivery } from '../upstream/events'

type FrameFor = (reply: FastifyReply, error: unknown) => string | undefined

/** What `onStreamEnd` sees, once per provider stream sent with `reply.send(stream)`. */
export interface StreamEndEvent {
  requestId: string
  method: string
  route: string | undefined
  delivery: StreamDelivery
}

function isEventStream (response: ServerResponse): boolean {
  const type = response.getHeader('content-type')
  return typeof type === 'string' && type.startsWith('text/event-stream')
}

/** For the onSend hook: guards `reply` when `payload` is a stream (its response keeps the reply under `kReply`). */
type OnStreamEnd = (event: StreamEndEvent) => void

type GuardStream = (reply: FastifyReply, payload: unknown) => void

export function createStreamGuard (frameFor: FrameFor, onStreamEnd?: OnStreamEnd): GuardStream {
  function reportEnd (reply: FastifyReply, delivery: StreamDelivery): void {
    const request = reply.request
    try {
      const event = { requestId: String(request.id), method: request.method, route: request.routeOptions.url, delivery }
      ;(onStreamEnd as OnStreamEnd)(event)
    } catch (hookError) {
      request.log.error({ err: hookError }, `${PREFIX}: onStreamEnd hook threw`)
    }
  }

  function guardEventStream (this: ServerResponse, source: Readable): void {
    if (!isEventStream(this)) return
    const response = this
    ;(response as ServerResponse & ResponseSlots)[kSource] = source
    if (onStreamEnd !== undefined && source instanceof CheckedEventStream) {
      const reply = (response as ServerResponse & ResponseSlots)[kReply] as FastifyReply
      source.delivered.then((delivery) => reportEnd(reply, delivery))
    }
    const destroy = response.destroy
    response.destroy = function endWithErrorEvent (this: ServerResponse, error?: Error) {
      const failure = source.errored
      // Fastify destroys the response when the client has gone too: then there is no one to tell.
      if (failure === null || this.destroyed) return destroy.call(this, error)
      source.unpipe(this)
      this.end(frameFor((this as ServerResponse & ResponseSlots)[kReply] as FastifyReply, failure))
      return this
    }
  }

  return function guardStream (reply, payload) {
    if (payload !== null && typeof payload === 'object' && typeof (payload as Partial<Readable>).pipe === 'function') {
      const response = reply.raw as ServerResponse & ResponseSlots
      response[kReply] = reply
      response.on('pipe', guardEventStream)
    }
  }
}
