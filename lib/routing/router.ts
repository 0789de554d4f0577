// A small router: pick a provider that can serve the request, or explain — per provider, every
// reason — why none can, and name the nearest miss.
import type { GatewayErrorCode } from '../catalog/catalog'
import { checks, stages, type Check } from './checks'
import { CapabilityRoutingError } from './error'
import type { ModelDescription, ProviderDescription, RequestProfile } from './types'

import type { ProviderRejection, RejectionReason } from '../catalog/details'
export type { ProviderRejection, RejectionReason }

export type ModelLookup = Readonly<Record<string, ModelDescription>> | ReadonlyMap<string, ModelDescription>

export interface RoutingOptions {
  /** Order among the providers that can serve the request; default: the order given. */
  sort?: 'price' | 'latency' | 'throughput'
}

const stageIndex = new Map(stages.map((stage, index) => [stage, index]))
const checkByCode = new Map(checks.map((check) => [check.code, check]))

interface Evaluated {
  provider: ProviderDescription
  failed: Check[]
  reasons: RejectionReason[]
}

/** Runs every check once per provider: the failed checks decide, their messages explain. */
function evaluate (profile: RequestProfile, providers: readonly ProviderDescription[]): Evaluated[] {
  return providers.map((provider) => {
    const failed: Check[] = []
    const reasons: RejectionReason[] = []
    for (const check of checks) {
      const message = check.reject(profile, provider)
      if (message === undefined) continue
      failed.push(check)
      reasons.push({ code: check.code, message: `${provider.name} ${message}` })
    }
    return { provider, failed, reasons }
  })
}

function firstStage (failed: readonly Check[]): number {
  return Math.min(...failed.map((check) => stageIndex.get(check.stage) as number))
}

function rejectionsOf (evaluated: readonly Evaluated[]): ProviderRejection[] {
  return evaluated.map((e) => ({ provider: e.provider.name, reasons: e.reasons }))
}

/** Every provider of the model and every reason it cannot serve the request (empty for those that can). */
export function explain (profile: RequestProfile, providers: readonly ProviderDescription[]): ProviderRejection[] {
  return rejectionsOf(evaluate(profile, providers))
}

function wantsToolsWithStructuredOutput (profile: RequestProfile, providers: readonly ProviderDescription[]): boolean {
  return profile.features.tools === true && profile.features.structuredOutput === true &&
    providers.some((p) => p.supports.tools === true) &&
    providers.some((p) => p.supports.structuredOutput === true) &&
    !providers.some(({ supports }) =>
      supports.tools === true && supports.structuredOutput === true && supports.toolsWithStructuredOutput !== false)
}

/**
 * The nearest miss: the reason that stopped the provider that came closest to serving the request.
 * Closest means failing at the latest stage, then with the fewest reasons at that stage; ties go to
 * the check listed first. Tools wanted with structured output, offered only apart, is named as such.
 */
export function nearestMiss (profile: RequestProfile, evaluated: readonly Evaluated[]): GatewayErrorCode {
  const rejected = evaluated.filter((e) => e.failed.length > 0)
  const furthest = Math.max(...rejected.map((e) => firstStage(e.failed)))
  const atStage = rejected.map((e) => e.failed.filter((check) => stageIndex.get(check.stage) === furthest))
    .filter((failed) => failed.length > 0)
  const fewest = Math.min(...atStage.map((failed) => failed.length))
  const closest = atStage.filter((failed) => failed.length === fewest)
  const code = checks.find((check) => closest.some((failed) => failed.includes(check)))?.code as GatewayErrorCode
  if ((code === 'tools_not_supported' || code === 'structured_output_not_supported') &&
    wantsToolsWithStructuredOutput(profile, evaluated.map((e) => e.provider))) {
    return 'tools_with_structured_output_not_supported'
  }
  return code
}

function lookup (models: ModelLookup, id: string): ModelDescription | undefined {
  if (models instanceof Map) return models.get(id)
  const record = models as Readonly<Record<string, ModelDescription>>
  return Object.hasOwn(record, id) ? record[id] : undefined
}

function sortProviders (providers: ProviderDescription[], sort: RoutingOptions['sort']): ProviderDescription[] {
  if (sort === 'price') return providers.sort((a, b) => (a.price ?? Infinity) - (b.price ?? Infinity))
  if (sort === 'latency') return providers.sort((a, b) => (a.latencyMs ?? Infinity) - (b.latencyMs ?? Infinity))
  if (sort === 'throughput') return providers.sort((a, b) => (b.throughput ?? 0) - (a.throughput ?? 0))
  return providers
}

function minRetryAfter (values: ReadonlyArray<number | undefined>): number | undefined {
  const known = values.filter((value): value is number => typeof value === 'number' && value >= 0)
  return known.length === 0 ? undefined : Math.min(...known)
}

/**
 * The providers that can serve the request, best first; throws a CapabilityRoutingError (a
 * GatewayError: the plugin's error handler replies with it) when none can.
 */
export function routeRequest (
  profile: RequestProfile,
  models: ModelLookup,
  options: RoutingOptions = {}
): ProviderDescription[] {
  const model = lookup(models, profile.model)
  if (model === undefined) throw new CapabilityRoutingError('model_not_found', { model: profile.model }, [])
  if (model.available === false) {
    throw new CapabilityRoutingError('model_unavailable', { model: model.id, retry_after_ms: model.retryAfterMs }, [])
  }
  const evaluated = evaluate(profile, model.providers)
  const eligible = evaluated.filter((e) => e.failed.length === 0).map((e) => e.provider)
  if (eligible.length > 0) return sortProviders(eligible, options.sort)

  const rejections = rejectionsOf(evaluated)
  if (model.providers.length === 0) {
    throw new CapabilityRoutingError('no_provider_available', { model: model.id, providers: [] }, rejections)
  }
  const code = nearestMiss(profile, evaluated)
  const details: Record<string, unknown> = {
    model: model.id,
    param: (checkByCode.get(code) as Check).param(profile) ?? undefined,
    providers: rejections
  }
  if (code === 'context_length_exceeded') {
    details.requested_tokens = profile.limits.contextTokens
    details.max_context_tokens = Math.max(...model.providers.map((p) => p.contextWindow ?? 0))
  }
  if (code === 'hosted_tool_not_supported') {
    const hostedNowhere = (tool: string) => model.providers.every((p) => !(p.supports.hostedTools ?? []).includes(tool))
    details.tool = (profile.features.hostedTools as readonly string[]).find(hostedNowhere)
  }
  if (code === 'required_params_not_supported') details.params = profile.requiredParams
  if (code === 'no_compatible_endpoint') details.endpoint = profile.endpoint
  if (code === 'no_provider_available') {
    details.retry_after_ms = minRetryAfter(model.providers.map((p) => p.retryAfterMs))
  }
  throw new CapabilityRoutingError(code, details as never, rejections)
}

/** The first provider `routeRequest` returns. */
export function selectProvider (
  profile: RequestProfile,
  models: ModelLookup,
  options: RoutingOptions = {}
): ProviderDescription {
  return routeRequest(profile, models, options)[0] as ProviderDescription
}
