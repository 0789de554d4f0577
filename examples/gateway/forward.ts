// Forwarding to upstream providers through the plugin's fetchUpstream: a provider's error (status,
// body, a page that is no JSON, a stream's error event, a timeout) arrives as the catalog's error.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { fetchUpstream } from 'fastify-gateway-errors'
import type { Readable } from 'node:stream'

export interface Upstream {
  name: string
  upstream: string
}

export interface ChatCompletion {
  choices: Array<{ message: { content: string } }>
}

export interface Forwarder {
  complete (request: FastifyRequest, provider: Upstream, body: object): Promise<ChatCompletion>
  stream (request: FastifyRequest, provider: Upstream, body: object): Promise<Readable>
  /** Streams the provider's events to the client as they are; an error event becomes the catalog's. */
  pipe (request: FastifyRequest, reply: FastifyReply, provider: Upstream, body: object): Promise<FastifyReply>
}

export function createForwarder (upstreamUrl: string, timeoutMs: number): Forwarder {
  const init = (request: FastifyRequest, provider: Upstream, body: object) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    provider: provider.name,
    timeoutMs,
    signal: request.abortSignal
  })
  const url = (provider: Upstream) => `${upstreamUrl}/${provider.upstream}/v1/chat/completions`

  const forwarder: Forwarder = {
    async complete (request, provider, body) {
      const validate = (completion: unknown) => Array.isArray((completion as Partial<ChatCompletion> | null)?.choices)
      const { body: completion } = await fetchUpstream(url(provider), { ...init(request, provider, body), validate })
      return completion as ChatCompletion
    },
    async stream (request, provider, body) {
      const { stream } = await fetchUpstream(url(provider), { ...init(request, provider, { ...body, stream: true }), raw: true })
      return stream as Readable
    },
    async pipe (request, reply, provider, body) {
      // A page that is no event stream is caught before the first byte is sent; the plugin ends
      // the stream with the catalog's error event in this route's envelope.
      const stream = await forwarder.stream(request, provider, body)
      return reply.header('content-type', 'text/event-stream').header('cache-control', 'no-cache').send(stream)
    }
  }
  return forwarder
}
