// Plans, budgets and quotas. A request that costs money reserves its price before the upstream is
// called and settles after; across instances the store makes each reservation atomic, so a budget
// of N requests admits exactly N, however many arrive at once.
import type { FastifyRequest } from 'fastify'
import { GatewayError } from 'fastify-gateway-errors'
import type { Auth } from './auth'
import { plans } from './store/seed'
import type { Feature, Plan, Reservation, Store } from './store/store'

/** What one request is charged in this demo, in micro-dollars ($0.01). */
export const REQUEST_COST_MICROS = 10_000

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
    const project = await store.project(request.caller.project)
    if (project === undefined) throw new GatewayError('resource_not_found', { resource: 'project', id: request.caller.project })
    const charge = await store.reserve(request.caller, project.budgetMicros, plan.quota, REQUEST_COST_MICROS)
    if (charge.ok) return charge.reservation
    if (charge.reason === 'budget') throw new GatewayError('budget_exhausted', { scope: 'project', limit_usd: project.budgetMicros / 1e6 })
    throw new GatewayError('insufficient_quota')
  }

  /**
   * Runs `call` with the request's price reserved: settled when it succeeds, given back when it
   * fails (a failure to give it back is logged; the caller still gets the upstream's error).
   */
  async function charged<T> (request: FastifyRequest, plan: Plan, call: () => Promise<T>): Promise<T> {
    const reservation = await reserve(request, plan)
    let result: T
    try {
      result = await call()
    } catch (error) {
      await store.release(reservation).catch((cause: unknown) => request.log.warn({ err: cause }, 'reservation not released'))
      throw error
    }
    await store.settle(reservation, REQUEST_COST_MICROS).catch((cause: unknown) => request.log.warn({ err: cause }, 'reservation not settled'))
    return result
  }

  return { admit, requireFeature, charged }
}

export type Billing = ReturnType<typeof createBilling>
