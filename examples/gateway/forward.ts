// Forwarding to upstream providers through the plugin's fetchUpstream and its attempt loop: the
// request's candidates are tried in turn, retried and fallen back by catalog code; a provider's error
// (status, body, a page that is no JSON, a stream's first event, a timeout) is a failed attempt, and
// when every attempt failed the client gets one catalog error with the attempts in its details.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StreamDelivery } from 'fastify-gateway-errors'
import { attemptCandidates, attemptPolicy, fetchUpstream, type AttemptOptions } from 'fastify-gateway-errors/upstream'
import type { ProviderCapabilities } from 'fastify-gateway-errors/routing'
import type { Readable } from 'node:stream'

export interface Upstream {
  name: string
  upstream: string
  supports?: ProviderCapabilities
  contextWindow?: number
}

/**
 * The example's policy: the defaults (fall back on provider faults and refusals, stop on what the
 * caller must fix), with one retry of a rate limit after its stated wait and none of the other faults:
 * each provider is called once more at most, so a client's own retries stay cheap.
 */
export const examplePolicy = attemptPolicy({
  rate_limit_exceeded: { retries: 1 },
  upstream_error: { retries: 0 },
  upstream_timeout: { retries: 0 },
  model_unavailable: { retries: 0 }
})

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
  complete (request: FastifyRequest, reply: FastifyReply, candidates: readonly Upstream[], body: object): Promise<ChatCompletion>
  stream (request: FastifyRequest, reply: FastifyReply, candidates: readonly Upstream[], body: object): Promise<OpenedStream>
  /** Sends an opened stream to the client as it is; an error event becomes the catalog's. */
  pipe (reply: FastifyReply, opened: OpenedStream): FastifyReply
}

export function createForwarder (upstreamUrl: string, timeoutMs: number): Forwarder {
  const init = (provider: Upstream, body: object, signal: AbortSignal | undefined) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    provider: provider.name,
    timeoutMs,
    signal
  })
  const url = (provider: Upstream) => `${upstreamUrl}/${provider.upstream}/v1/chat/completions`
  const loop = (request: FastifyRequest, reply: FastifyReply): AttemptOptions => ({
    policy: examplePolicy,
    signal: request.abortSignal,
    maxWaitMs: 1000,
    deadlineMs: timeoutMs * 3,
    reply,
    // a request that needed more than one call is logged with every attempt
    onAttempts: (ledger, outcome) => { if (ledger.length > 1) request.log.info({ attempts: ledger, outcome }, 'provider attempts') }
  })

  const forwarder: Forwarder = {
    async complete (request, reply, candidates, body) {
      const validate = (completion: unknown) => Array.isArray((completion as Partial<ChatCompletion> | null)?.choices)
      const { result } = await attemptCandidates(candidates, (provider, { signal }) =>
        fetchUpstream(url(provider), { ...init(provider, body, signal), validate }), loop(request, reply))
      return result.body as ChatCompletion
    },
    async stream (request, reply, candidates, body) {
      // a stream that fails before its first event is one failed attempt: the client sees the one that works
      const { result } = await attemptCandidates(candidates, (provider, { signal }) =>
        fetchUpstream(url(provider), { ...init(provider, { ...body, stream: true }, signal), raw: true }), loop(request, reply))
      const { stream, delivered } = result
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
