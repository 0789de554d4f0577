// Why a provider cannot serve a request, as a list of checks. Each check belongs to a stage: the
// order in which a request meets obstacles (where it arrives, what it asks for, how big it is,
// whom it may use, with which keys, at what price, what it says, and whether anyone is up).
import type { GatewayErrorCode } from '../catalog/catalog'
import type { ProviderCapabilities, ProviderDescription, RequestFeatures, RequestProfile } from './types'

export const stages = [
  'endpoint',
  'features',
  'context',
  'policy',
  'keys',
  'limits',
  'content',
  'availability'
] as const
export type Stage = typeof stages[number]

export interface Check {
  code: GatewayErrorCode
  stage: Stage
  /** The request field a user changes to get past this check. */
  param: (profile: RequestProfile) => string | null
  /** A reason when the provider fails the check. */
  reject: (profile: RequestProfile, provider: ProviderDescription) => string | undefined
  /** For a capability the request asks for: its name in RequestFeatures and ProviderCapabilities. */
  feature?: Feature
}

const field = (name: string) => () => name
const none = () => null
const messages = (profile: RequestProfile) => profile.fields?.messages ?? 'messages'
const reasoning = (profile: RequestProfile) => profile.fields?.reasoning ?? 'reasoning_effort'
const serves = (provider: ProviderDescription, endpoint: string) => (provider.endpoints ?? ['chat']).includes(endpoint)
export type Feature = {
  [K in keyof RequestFeatures & keyof ProviderCapabilities]: RequestFeatures[K] extends boolean | undefined ? K : never
}[keyof RequestFeatures & keyof ProviderCapabilities]

/** A feature the request asks for and the provider must offer. */
function feature (code: GatewayErrorCode, param: Check['param'], name: Feature, what: string): Check {
  return {
    code,
    stage: 'features',
    param,
    feature: name,
    reject: (
      p,
      provider
    ) => p.features[name] === true && provider.supports[name] !== true ? `does not support ${what}` : undefined
  }
}

// Within a stage, earlier checks win ties: the more fundamental change is named first.
export const checks: readonly Check[] = [
  {
    code: 'batch_only',
    stage: 'endpoint',
    param: field('model'),
    reject: (p, provider) => provider.batchOnly === true && p.batch !== true ? 'serves batch jobs only' : undefined
  },
  {
    code: 'response_api_only',
    stage: 'endpoint',
    param: field('model'),
    reject: (p, provider) => p.endpoint === 'chat' && !serves(provider, 'chat') && serves(provider, 'responses')
      ? 'serves this model through the Responses API only'
      : undefined
  },
  {
    code: 'no_responses_endpoint',
    stage: 'endpoint',
    param: field('model'),
    reject: (p, provider) => p.endpoint === 'responses' && !serves(
      provider,
      'responses'
    )
      ? 'has no Responses API endpoint for this model'
      : undefined
  },
  {
    code: 'no_compatible_endpoint',
    stage: 'endpoint',
    param: field('model'),
    reject: (p, provider) => p.endpoint !== 'responses' && !serves(
      provider,
      p.endpoint
    ) && !(p.endpoint === 'chat' && serves(
      provider,
      'responses'
    ))
      ? `has no ${p.endpoint} endpoint for this model`
      : undefined
  },
  {
    code: 'streaming_not_supported',
    stage: 'features',
    param: field('stream'),
    reject: (
      p,
      provider
    ) => p.stream && provider.supports.streaming === false ? 'does not support streaming' : undefined
  },
  {
    code: 'non_streaming_not_supported',
    stage: 'features',
    param: field('stream'),
    reject: (p, provider) => !p.stream && provider.supports.nonStreaming === false ? 'requires streaming' : undefined
  },
  feature('tools_not_supported', field('tools'), 'tools', 'tool calling'),
  feature('tool_choice_required_not_supported', field('tool_choice'), 'toolChoiceRequired', 'tool_choice "required"'),
  feature('structured_output_not_supported', field('response_format'), 'structuredOutput', 'structured output'),
  {
    code: 'tools_with_structured_output_not_supported',
    stage: 'features',
    param: field('response_format'),
    reject: (
      p,
      provider
    ) => p.features.tools === true && p.features.structuredOutput === true && provider.supports.tools === true &&
      provider.supports.structuredOutput === true && provider.supports.toolsWithStructuredOutput === false
      ? 'does not support tools and structured output in one request'
      : undefined
  },
  feature('json_mode_not_supported', field('response_format'), 'jsonMode', 'JSON mode'),
  feature('vision_not_supported', messages, 'vision', 'image input'),
  feature('unsupported_modalities', field('modalities'), 'audioOutput', 'audio output'),
  feature('reasoning_not_supported', reasoning, 'reasoning', 'reasoning'),
  feature('thinking_disable_not_supported', reasoning, 'disableThinking', 'disabling thinking'),
  {
    code: 'hosted_tool_not_supported',
    stage: 'features',
    param: field('tools'),
    reject: (p, provider) => {
      const served = provider.supports.hostedTools ?? []
      const missing = (p.features.hostedTools ?? []).filter((tool) => !served.includes(tool))
      return missing.length > 0 ? `does not host ${missing.join(', ')}` : undefined
    }
  },
  {
    code: 'required_params_not_supported',
    stage: 'features',
    param: field('provider.require_parameters'),
    reject: (p, provider) => {
      const missing = (p.requiredParams ?? []).filter((param) => !(provider.supports.params ?? []).includes(param))
      return missing.length > 0 ? `does not support ${missing.join(', ')}` : undefined
    }
  },
  {
    code: 'context_length_exceeded',
    stage: 'context',
    param: messages,
    reject: (
      p,
      provider
    ) => p.limits.contextTokens !== undefined && provider.contextWindow !== undefined &&
      p.limits.contextTokens > provider.contextWindow
      ? `context window is ${provider.contextWindow} tokens, the request needs ${p.limits.contextTokens}`
      : undefined
  },
  {
    code: 'provider_not_in_allowlist',
    stage: 'policy',
    param: field('provider.only'),
    reject: (
      p,
      provider
    ) => p.policy.allow !== undefined && !p.policy.allow.includes(provider.name) ? 'is not in the allowlist' : undefined
  },
  {
    code: 'provider_blocked',
    stage: 'policy',
    param: field('provider.ignore'),
    reject: (p, provider) => p.policy.block?.includes(provider.name) === true ? 'is in the blocklist' : undefined
  },
  {
    code: 'tier_opt_in_required',
    stage: 'policy',
    param: field('service_tier'),
    reject: (p, provider) => provider.tier !== undefined && !(p.policy.tiers ?? []).includes(provider.tier)
      ? `requires opting into the ${provider.tier} tier`
      : undefined
  },
  {
    code: 'byok_keys_required',
    stage: 'keys',
    param: none,
    reject: (
      p,
      provider
    ) => p.policy.byokOnly === true && provider.keys?.byok !== true ? 'has no key of yours configured' : undefined
  },
  {
    code: 'platform_keys_unavailable',
    stage: 'keys',
    param: none,
    reject: (
      p,
      provider
    ) => p.policy.byokOnly !== true && provider.keys?.platform === false && provider.keys.byok !== true
      ? 'has no platform key available'
      : undefined
  },
  {
    code: 'cost_constraint_exceeded',
    stage: 'limits',
    param: field('provider.max_price'),
    reject: (p, provider) => p.limits.maxPrice !== undefined && (provider.price ?? Infinity) > p.limits.maxPrice
      ? `costs ${provider.price ?? 'an unknown price'} per million tokens, above ${p.limits.maxPrice}`
      : undefined
  },
  {
    code: 'latency_constraint_exceeded',
    stage: 'limits',
    param: field('provider.max_latency'),
    reject: (
      p,
      provider
    ) => p.limits.maxLatencyMs !== undefined && (provider.latencyMs ?? Infinity) > p.limits.maxLatencyMs
      ? `latency ${provider.latencyMs ?? 'unknown'} ms, above ${p.limits.maxLatencyMs} ms`
      : undefined
  },
  {
    code: 'throughput_constraint_not_met',
    stage: 'limits',
    param: field('provider.min_throughput'),
    reject: (p, provider) => p.limits.minThroughput !== undefined && (provider.throughput ?? 0) < p.limits.minThroughput
      ? `throughput ${provider.throughput ?? 'unknown'} tokens/s, below ${p.limits.minThroughput}`
      : undefined
  },
  {
    code: 'content_filtered',
    stage: 'content',
    param: messages,
    reject: (p, provider) => {
      const flagged = (p.contentFlags ?? []).filter((flag) => (provider.contentFilter ?? []).includes(flag))
      return flagged.length > 0 ? `its content filter rejects ${flagged.join(', ')}` : undefined
    }
  },
  {
    code: 'no_provider_available',
    stage: 'availability',
    param: none,
    reject: (_p, provider) => provider.available === false ? 'is unavailable right now' : undefined
  }
]
