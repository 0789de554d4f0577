// Request profiles derived from OpenAI-style bodies, so a gateway does not write this by hand.
// Routing preferences follow OpenRouter's `provider` object: only, ignore, max_price,
// max_latency, min_throughput, require_parameters, byok_only; tiers come from `service_tier`.
import { GatewayError } from '../reply/gateway-error'
import type { RequestFeatures, RequestProfile } from './types'

type Json = Record<string, unknown>

/** Parameters not every provider honours: the ones `require_parameters` makes binding. */
export const OPTIONAL_PARAMS = [
  'temperature', 'top_p', 'top_k', 'frequency_penalty', 'presence_penalty', 'repetition_penalty', 'min_p', 'top_a',
  'seed', 'stop', 'logit_bias', 'logprobs', 'top_logprobs', 'max_tokens', 'max_completion_tokens', 'parallel_tool_calls'
] as const

/** Tool types that are the caller's own functions; every other type is a tool the provider hosts. */
const FUNCTION_TOOL_TYPES = new Set(['function', 'custom'])

function object (value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Json : {}
}

function array (value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function strings (value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined
}

function number (value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** Rough token count: four characters a token, as most gateways estimate before tokenising. */
export function estimateTokens (value: unknown): number {
  let text: string
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value ?? '')
  } catch {
    // a structure nested deeper than this Node's JSON.stringify reaches (JSON.parse accepted it)
    throw new GatewayError('invalid_request', { reason: 'the request is nested too deeply' })
  }
  return Math.ceil(text.length / 4)
}

function hasImage (content: unknown): boolean {
  return array(content).some((part) => ['image_url', 'input_image', 'image'].includes(String(object(part).type)))
}

function hostedTools (tools: unknown[], extra: string[]): string[] {
  const hosted = tools.map((tool) => String(object(tool).type))
    .filter((type) => type !== 'undefined' && !FUNCTION_TOOL_TYPES.has(type))
  return [...new Set([...hosted, ...extra])]
}

function features (
  tools: unknown[], toolChoice: unknown, format: string, effort: unknown, contents: unknown[], audioOutput: boolean,
  extraHosted: string[]
): RequestFeatures {
  return {
    tools: tools.some((tool) => FUNCTION_TOOL_TYPES.has(String(object(tool).type))),
    toolChoiceRequired: toolChoice === 'required',
    structuredOutput: format === 'json_schema',
    jsonMode: format === 'json_object',
    vision: contents.some(hasImage),
    audioOutput,
    reasoning: effort !== undefined && effort !== 'none',
    disableThinking: effort === 'none',
    hostedTools: hostedTools(tools, extraHosted)
  }
}

function preferences (body: Json): Pick<RequestProfile, 'limits' | 'policy' | 'requiredParams'> {
  const provider = object(body.provider)
  const tier = typeof body.service_tier === 'string' && ![
    'auto',
    'default'
  ].includes(body.service_tier)
    ? [body.service_tier]
    : undefined
  return {
    limits: {
      maxPrice: number(object(provider.max_price).prompt) ?? number(provider.max_price),
      maxLatencyMs: number(provider.max_latency),
      minThroughput: number(provider.min_throughput)
    },
    policy: {
      allow: strings(provider.only),
      block: strings(provider.ignore),
      byokOnly: provider.byok_only === true,
      tiers: tier
    },
    requiredParams: provider.require_parameters === true
      ? OPTIONAL_PARAMS.filter((param) => body[param] !== undefined)
      : undefined
  }
}

/** The profile of a `POST /v1/chat/completions` body. */
export function profileFromChatCompletion (input: unknown): RequestProfile {
  const body = object(input)
  const tools = array(body.tools)
  const format = String(object(body.response_format).type)
  const effort = body.reasoning_effort ?? object(body.reasoning).effort
  const messages = array(body.messages)
  const { limits, policy, requiredParams } = preferences(body)
  const maxOutput = number(body.max_completion_tokens) ?? number(body.max_tokens) ?? 0
  return {
    model: typeof body.model === 'string' ? body.model : '',
    endpoint: 'chat',
    stream: body.stream === true,
    features: features(
      tools, body.tool_choice, format, effort, messages.map((message) => object(message).content),
      array(body.modalities).includes('audio') || body.audio !== undefined,
      body.web_search_options === undefined ? [] : ['web_search']
    ),
    requiredParams,
    limits: { ...limits, contextTokens: estimateTokens(messages) + maxOutput },
    policy
  }
}

/** The profile of a `POST /v1/responses` body. */
export function profileFromResponses (input: unknown): RequestProfile {
  const body = object(input)
  const tools = array(body.tools)
  const format = String(object(object(body.text).format).type)
  const effort = object(body.reasoning).effort
  const items = typeof body.input === 'string' ? [] : array(body.input)
  const { limits, policy, requiredParams } = preferences(body)
  return {
    model: typeof body.model === 'string' ? body.model : '',
    endpoint: 'responses',
    stream: body.stream === true,
    batch: false,
    features: features(tools, body.tool_choice, format, effort, items.map((item) => object(item).content), false, []),
    requiredParams,
    limits: {
      ...limits,
      contextTokens: estimateTokens(body.input) + estimateTokens(body.instructions ?? '') +
        (number(body.max_output_tokens) ?? 0)
    },
    policy,
    fields: { messages: 'input', reasoning: 'reasoning.effort' }
  }
}
