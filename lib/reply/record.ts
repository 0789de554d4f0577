// What the observability hook sees, once per gateway error; client_disconnected logged once.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { PREFIX } from '../options'
import type { GatewayErrorCode } from '../catalog/catalog'
import type { AttemptRecord } from '../upstream/attempts/loop'
import type { ResolvedEntry } from './envelopes'
import { isGatewayError } from './gateway-error'
import { kDisconnectRecorded, kSource, kStartedAt, type RequestSlots, type ResponseSlots } from '../symbols'
import { deliveryOf, type StreamDelivery } from '../upstream/events'

/** What the observability hook sees, once per gateway error. */
export interface GatewayErrorEvent {
  code: GatewayErrorCode
  status: number
  retryable: boolean
  requestId: string
  method: string
  route: string | undefined
  elapsedMs: number
  /** True for client_disconnected: nothing was written. */
  disconnected: boolean
  /** The original error, when the reply translates one. */
  error?: unknown
  /**
   * When the reply was a provider's stream from `fetchUpstream({ raw: true })` that ended badly (the
   * client left, or the provider failed or stalled midway): what had been forwarded, for billing.
   */
  delivery?: StreamDelivery
  /** When the error ends an attempt loop (`attemptCandidates`): every attempt, as in `details.attempts`. */
  attempts?: readonly AttemptRecord[]
}

export type Recorder = (reply: FastifyReply, entry: ResolvedEntry, error: unknown) => void

export function createRecorder (onGatewayError: ((event: GatewayErrorEvent) => void) | undefined): Recorder {
  return function record (reply, entry, error) {
    const request = reply.request as FastifyRequest & RequestSlots
    const startedAt = request[kStartedAt]
    const elapsedMs = startedAt > 0 ? performance.now() - startedAt : reply.elapsedTime
    if (entry.status === 0) {
      if (request[kDisconnectRecorded]) return
      request[kDisconnectRecorded] = true
      request.log.info({ code: entry.code, route: request.routeOptions.url, elapsedMs }, entry.message)
    }
    if (onGatewayError === undefined) return
    try {
      const event: GatewayErrorEvent = {
        code: entry.code,
        status: entry.status,
        retryable: entry.retryable,
        requestId: String(request.id),
        method: request.method,
        route: request.routeOptions.url,
        elapsedMs,
        disconnected: entry.status === 0,
        error
      }
      const source = (reply.raw as typeof reply.raw & ResponseSlots)[kSource]
      if (source !== undefined) {
        const delivery = deliveryOf(source, entry.status === 0 ? 'client_disconnected' : 'failed')
        if (delivery !== undefined) event.delivery = delivery
      }
      const details = isGatewayError(error) ? error.details as { attempts?: unknown } | undefined : undefined
      const attempts = details?.attempts
      if (Array.isArray(attempts)) event.attempts = attempts as AttemptRecord[]
      onGatewayError(event)
    } catch (hookError) {
      request.log.error({ err: hookError }, `${PREFIX}: onGatewayError hook threw`)
    }
  }
}

/**
 * Makes the events' elapsedMs count from arrival (hooks and body parsing included): one onRequest
 * hook, added only for applications that read the events.
 */
export function markArrivals (fastify: FastifyInstance): void {
  fastify.addHook('onRequest', function markArrival (request, _reply, done) {
    (request as FastifyRequest & RequestSlots)[kStartedAt] = performance.now()
    done()
  })
}
