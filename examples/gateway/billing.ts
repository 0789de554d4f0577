// Plans, budgets and quotas. A request that costs money reserves its price before the upstream is
// called and settles after; across instances the store makes each reservation atomic, so a budget
// of N requests admits exactly N, however many arrive at once.
import type { FastifyRequest } from 'fastify'
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

export function createBilling (store: Store, auth: Auth) {
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
    const charge = await store.reserve(request.caller, project.budgetMicros, plan.quota, REQUEST_COST_MICROS)
    if (charge.ok) return charge.reservation
    if (charge.reason === 'budget') throw new GatewayError('budget_exhausted', { scope: 'project', limit_usd: project.budgetMicros / 1e6 })
    throw new GatewayError('insufficient_quota')
  }

  /** Runs `call` with the request's price reserved; gives it back when `call` fails (a failure to give it back is logged). */
  async function reserved<T> (request: FastifyRequest, plan: Plan, call: () => Promise<T>): Promise<{ reservation: Reservation, result: T }> {
    const reservation = await reserve(request, plan)
    try {
      return { reservation, result: await call() }
    } catch (error) {
      await store.release(reservation).catch((cause: unknown) => request.log.warn({ err: cause }, 'reservation not released'))
      throw error
    }
  }

  /** Runs `call` with the request's price reserved: settled when it succeeds, given back when it fails. */
  async function charged<T> (request: FastifyRequest, plan: Plan, call: () => Promise<T>): Promise<T> {
    const { reservation, result } = await reserved(request, plan, call)
    await store.settle(reservation, REQUEST_COST_MICROS).catch((cause: unknown) => request.log.warn({ err: cause }, 'reservation not settled'))
    return result
  }

  /**
   * Opens a provider's stream with the request's price reserved: given back if it fails to open,
   * settled for the tokens delivered once it has ended, whichever way it ends.
   */
  async function chargedStream<T extends { delivered: Promise<StreamDelivery> }> (request: FastifyRequest, plan: Plan, open: () => Promise<T>): Promise<T> {
    const { reservation, result } = await reserved(request, plan, open)
    result.delivered.then(async (delivery) => {
      const micros = Math.min(REQUEST_COST_MICROS, deliveredTokens(delivery) * TOKEN_COST_MICROS)
      request.log.info({ outcome: delivery.outcome, events: delivery.events, micros }, 'stream settled')
      await store.settle(reservation, micros)
    }).catch((cause: unknown) => request.log.warn({ err: cause }, 'reservation not settled'))
    return result
  }

  return { admit, requireFeature, charged, chargedStream }
}

export type Billing = ReturnType<typeof createBilling>
