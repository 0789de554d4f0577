// Plans, budgets and quotas. A request that costs money reserves its price before the upstream is
// called and settles after; across instances the store makes each reservation atomic, so a budget
// of N requests admits exactly N, however many arrive at once. A reservation is a lease the request
// renews while it runs, with what it has delivered so far: if the instance dies mid-request, any
// instance's sweep settles it once the lease expires, at what was delivered (nothing: given back).
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import { GatewayError, type StreamDelivery } from 'fastify-gateway-errors'
import type { Auth } from './auth'
import { plans } from './store/seed'
import type { Feature, Plan, Reservation, Store } from './store/store'

/** What one request is charged in this demo, in micro-dollars ($0.01); a stream's reservation. */
export const REQUEST_COST_MICROS = 10_000
/** What a streamed token costs in this demo, in micro-dollars: a stream pays for what it delivered. */
export const TOKEN_COST_MICROS = 1_000

/**
 * The tokens a stream delivered: the provider's own count when the stream completed with one, else
 * the events forwarded (one token each from the demo's providers), so a stream cut after N tokens,
 * by the provider or by the client leaving, is charged for N.
 */
export function deliveredTokens (delivery: StreamDelivery): number {
  const reported = delivery.outcome === 'completed' ? delivery.usage?.outputTokens : undefined
  return reported ?? delivery.events
}

export interface BillingOptions {
  /** How long a reservation outlives its request's last sign of life (30 s); renewed every third of it. */
  leaseMs?: number
}

export function createBilling (store: Store, auth: Auth, options: BillingOptions = {}) {
  const leaseMs = options.leaseMs ?? 30_000
  async function requireFeature (request: FastifyRequest, feature: Feature): Promise<Plan> {
    const plan = plans[request.caller.plan]
    if (plan === undefined || !plan.features.includes(feature)) throw new GatewayError('feature_disabled', { feature })
    return plan
  }

  /** The checks that need no money: scope and plan. */
  async function admit (request: FastifyRequest, feature: Feature): Promise<Plan> {
    auth.requireScope(request, 'chat')
    return requireFeature(request, feature)
  }

  async function reserve (request: FastifyRequest, plan: Plan): Promise<Reservation> {
    const project = await store.project(request.caller.account, request.caller.project)
    if (project === undefined || project.state === 'deleted') throw new GatewayError('resource_not_found', { resource: 'project', id: request.caller.project })
    const charge = await store.reserve(request.caller, project.budgetMicros, plan.quota, REQUEST_COST_MICROS, leaseMs)
    if (charge.ok) return charge.reservation
    if (charge.reason === 'budget') throw new GatewayError('budget_exhausted', { scope: 'project', limit_usd: project.budgetMicros / 1e6 })
    throw new GatewayError('insufficient_quota')
  }

  /** Renews the reservation's lease, with what was delivered so far, until the returned stop is called. */
  function keepAlive (request: FastifyRequest, reservation: Reservation, deliveredMicros: () => number): () => void {
    const timer = setInterval(() => {
      store.renew(reservation, deliveredMicros(), leaseMs).catch((cause: unknown) => request.log.warn({ err: cause }, 'reservation not renewed'))
    }, leaseMs / 3).unref()
    return () => clearInterval(timer)
  }

  /** Runs `call` with the request's price reserved; gives it back when `call` fails (a failure to give it back is logged). */
  async function reserved<T> (request: FastifyRequest, plan: Plan, call: () => Promise<T>): Promise<{ reservation: Reservation, result: T }> {
    const reservation = await reserve(request, plan)
    const stop = keepAlive(request, reservation, () => 0)
    try {
      return { reservation, result: await call() }
    } catch (error) {
      await store.release(reservation).catch((cause: unknown) => request.log.warn({ err: cause }, 'reservation not released'))
      throw error
    } finally {
      stop()
    }
  }

  /** Runs `call` with the request's price reserved: settled when it succeeds, given back when it fails. */
  async function charged<T> (request: FastifyRequest, plan: Plan, call: () => Promise<T>): Promise<T> {
    const { reservation, result } = await reserved(request, plan, call)
    await store.settle(reservation, REQUEST_COST_MICROS).catch((cause: unknown) => request.log.warn({ err: cause }, 'reservation not settled'))
    return result
  }

  const streamMicros = (delivery: StreamDelivery) => Math.min(REQUEST_COST_MICROS, deliveredTokens(delivery) * TOKEN_COST_MICROS)

  /**
   * Opens a provider's stream with the request's price reserved: given back if it fails to open,
   * settled for the tokens delivered once it has ended, whichever way it ends; while it runs, its
   * lease is renewed with the tokens delivered so far.
   */
  async function chargedStream<T extends { delivered: Promise<StreamDelivery>, progress: () => StreamDelivery }> (
    request: FastifyRequest, plan: Plan, open: () => Promise<T>
  ): Promise<T> {
    const { reservation, result } = await reserved(request, plan, open)
    const stop = keepAlive(request, reservation, () => streamMicros(result.progress()))
    result.delivered.then(async (delivery) => {
      stop()
      const micros = streamMicros(delivery)
      request.log.info({ outcome: delivery.outcome, events: delivery.events, micros }, 'stream settled')
      await store.settle(reservation, micros)
    }).catch((cause: unknown) => request.log.warn({ err: cause }, 'reservation not settled'))
    return result
  }

  /** Settles the reservations of requests whose instance died (their leases expired); every instance runs it. */
  function sweepEvery (log: FastifyBaseLogger): () => void {
    const timer = setInterval(() => {
      store.sweepExpired()
        .then((swept) => { if (swept > 0) log.info({ swept }, 'expired reservations settled at what they delivered') })
        .catch((cause: unknown) => log.warn({ err: cause }, 'expired reservations not swept'))
    }, leaseMs / 2).unref()
    return () => clearInterval(timer)
  }

  return { admit, requireFeature, charged, chargedStream, sweepEvery }
}

export type Billing = ReturnType<typeof createBilling>
