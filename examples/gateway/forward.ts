// Forwarding to upstream providers through the plugin's fetchUpstream: a provider's error (status,
// body, a page that is no JSON, a stream's error event, a timeout) arrives as the catalog's error.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { fetchUpstream, type StreamDelivery } from 'fastify-gateway-errors'
import type { Readable } from 'node:stream'

export interface Upstream {
  name: string
  upstream: string
}

export interface ChatCompletion {
  choices: Array<{ message: { content: string } }>
  usage?: { prompt_tokens?: number, completion_tokens?: number, total_tokens?: number }
}

export interface OpenedStream {
  /** The provider's events, checked. */
  stream: Readable
  /** What the stream delivered, once it has ended: what the request is billed for. */
  delivered: Promise<StreamDelivery>
  /** What it has delivered so far. */
  progress: () => StreamDelivery
}

export interface Forwarder {
  complete (request: FastifyRequest, provider: Upstream, body: object): Promise<ChatCompletion>
  stream (request: FastifyRequest, provider: Upstream, body: object): Promise<OpenedStream>
  /** Sends an opened stream to the client as it is; an error event becomes the catalog's. */
  pipe (reply: FastifyReply, opened: OpenedStream): FastifyReply
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
      const { stream, delivered } = await fetchUpstream(url(provider), { ...init(request, provider, { ...body, stream: true }), raw: true })
      const checked = stream as NonNullable<typeof stream>
      return { stream: checked, delivered: delivered as Promise<StreamDelivery>, progress: () => checked.delivery() }
    },
    pipe (reply, opened) {
      // A page that is no event stream was caught before the first byte; the plugin ends the stream
      // with the catalog's error event in this route's envelope.
      return reply.header('content-type', 'text/event-stream').header('cache-control', 'no-cache').send(opened.stream)
    }
  }
  return forwarder
}
