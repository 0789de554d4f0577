// The nearest-miss rule: for every routing code, a provider set and a request that lead to it;
// mixed cases where the rule decides; and through the plugin, the reply a client sees.
import t from 'tap'
import {
  CapabilityRoutingError, OPTIONAL_PARAMS, catalog, routeRequest, selectProvider,
  type GatewayErrorCode, type ModelDescription, type ProviderDescription, type RequestProfile
} from '../internals'
import { buildApp, validateBody } from '../helpers'

export const full: ProviderDescription = {
  name: 'full',
  endpoints: ['chat', 'responses'],
  supports: {
    tools: true,
    toolChoiceRequired: true,
    structuredOutput: true,
    jsonMode: true,
    vision: true,
    audioOutput: true,
    reasoning: true,
    disableThinking: true,
    hostedTools: ['web_search'],
    params: [...OPTIONAL_PARAMS]
  },
  price: 1,
  latencyMs: 100,
  throughput: 100,
  contextWindow: 100_000,
  keys: { platform: true, byok: true }
}

function provider (name: string, change: Partial<ProviderDescription> = {}, supports: Partial<ProviderDescription['supports']> = {}): ProviderDescription {
  return { ...full, ...change, name, supports: { ...full.supports, ...supports } }
}

function profile (change: Partial<RequestProfile> = {}): RequestProfile {
  return { model: 'm', endpoint: 'chat', stream: false, features: {}, limits: {}, policy: {}, ...change }
}

function paramOf (error: CapabilityRoutingError): string | undefined {
  return (error.details as { param?: string } | undefined)?.param
}

function failure (request: RequestProfile, providers: ProviderDescription[], model: Partial<ModelDescription> = {}): CapabilityRoutingError {
  try {
    routeRequest(request, { m: { id: 'm', providers, ...model } })
  } catch (error) {
    if (error instanceof CapabilityRoutingError) return error
    throw error
  }
  throw new Error('routing succeeded')
}

const cases: Array<[GatewayErrorCode, RequestProfile, ProviderDescription[], Partial<ModelDescription>?]> = [
  ['model_not_found', profile({ model: 'nope' }), [full]],
  ['model_unavailable', profile(), [full], { available: false, retryAfterMs: 5000 }],
  ['no_provider_available', profile(), [provider('a', { available: false }), provider('b', { available: false, retryAfterMs: 2000 })]],
  ['batch_only', profile(), [provider('a', { batchOnly: true })]],
  ['response_api_only', profile(), [provider('a', { endpoints: ['responses'] })]],
  ['no_responses_endpoint', profile({ endpoint: 'responses' }), [provider('a', { endpoints: ['chat'] })]],
  ['no_compatible_endpoint', profile({ endpoint: 'embeddings' }), [full]],
  ['streaming_not_supported', profile({ stream: true }), [provider('a', {}, { streaming: false })]],
  ['non_streaming_not_supported', profile(), [provider('a', {}, { nonStreaming: false })]],
  ['tools_not_supported', profile({ features: { tools: true } }), [provider('a', {}, { tools: false }), provider('b', {}, { tools: false })]],
  ['tool_choice_required_not_supported', profile({ features: { tools: true, toolChoiceRequired: true } }), [provider('a', {}, { toolChoiceRequired: false })]],
  ['structured_output_not_supported', profile({ features: { structuredOutput: true } }), [provider('a', {}, { structuredOutput: false })]],
  ['tools_with_structured_output_not_supported', profile({ features: { tools: true, structuredOutput: true } }), [provider('a', {}, { structuredOutput: false }), provider('b', {}, { tools: false })]],
  ['json_mode_not_supported', profile({ features: { jsonMode: true } }), [provider('a', {}, { jsonMode: false })]],
  ['vision_not_supported', profile({ features: { vision: true } }), [provider('a', {}, { vision: false })]],
  ['unsupported_modalities', profile({ features: { audioOutput: true } }), [provider('a', {}, { audioOutput: false })]],
  ['reasoning_not_supported', profile({ features: { reasoning: true } }), [provider('a', {}, { reasoning: false })]],
  ['thinking_disable_not_supported', profile({ features: { disableThinking: true } }), [provider('a', {}, { disableThinking: false })]],
  ['hosted_tool_not_supported', profile({ features: { hostedTools: ['code_interpreter'] } }), [full]],
  ['required_params_not_supported', profile({ requiredParams: ['logprobs'] }), [provider('a', {}, { params: ['temperature'] })]],
  ['context_length_exceeded', profile({ limits: { contextTokens: 200_000 } }), [provider('a', { contextWindow: 128_000 }), provider('b', { contextWindow: 32_000 })]],
  ['provider_not_in_allowlist', profile({ policy: { allow: ['x'] } }), [full]],
  ['provider_blocked', profile({ policy: { block: ['full'] } }), [full]],
  ['tier_opt_in_required', profile(), [provider('a', { tier: 'priority' })]],
  ['byok_keys_required', profile({ policy: { byokOnly: true } }), [provider('a', { keys: { platform: true, byok: false } })]],
  ['platform_keys_unavailable', profile(), [provider('a', { keys: { platform: false, byok: false } })]],
  ['cost_constraint_exceeded', profile({ limits: { maxPrice: 0.5 } }), [full]],
  ['latency_constraint_exceeded', profile({ limits: { maxLatencyMs: 50 } }), [full]],
  ['throughput_constraint_not_met', profile({ limits: { minThroughput: 500 } }), [full]],
  ['content_filtered', profile({ contentFlags: ['violence'] }), [provider('a', { contentFilter: ['violence'] })]]
]

t.test('every routing code is reachable through the router', async (t) => {
  for (const [code, request, providers, model] of cases) {
    const error = failure(request, providers, model)
    t.equal(error.code, code, code)
    t.equal(error.statusCode, catalog[code].status)
    if (!['model_not_found', 'model_unavailable'].includes(code)) {
      t.same(error.rejections.map((r) => r.provider), providers.map((p) => p.name), `${code}: every provider listed`)
      t.ok(error.rejections.every((r) => r.reasons.length > 0), `${code}: each with its reasons`)
    }
  }
  t.equal(new Set(cases.map(([code]) => code)).size, 30, '30 routing codes')
})

t.test('details name what to change', async (t) => {
  const context = failure(profile({ limits: { contextTokens: 200_000 } }), [provider('a', { contextWindow: 128_000 }), provider('b', { contextWindow: 32_000 })])
  t.match(context.details, { model: 'm', requested_tokens: 200_000, max_context_tokens: 128_000, param: 'messages' })
  t.equal(context.message, 'Token count exceeds the model’s context window: prompt is too long: 200000 tokens > 128000 maximum; the request exceeds the maximum context length')
  const hosted = failure(profile({ features: { hostedTools: ['web_search', 'code_interpreter'] } }), [full])
  t.match(hosted.details, { tool: 'code_interpreter', param: 'tools' })
  t.match(failure(profile({ requiredParams: ['logprobs'] }), [provider('a', {}, { params: [] })]).details, { params: ['logprobs'] })
  t.match(failure(profile({ endpoint: 'embeddings' }), [full]).details, { endpoint: 'embeddings' })
  t.match(failure(profile(), [provider('a', { available: false, retryAfterMs: 3000 }), provider('b', { available: false, retryAfterMs: 1000 })]).details, { retry_after_ms: 1000 })
  t.match(failure(profile(), [full], { available: false, retryAfterMs: 5000 }).details, { retry_after_ms: 5000 })
  t.equal(failure(profile(), []).code, 'no_provider_available', 'a model without providers')
  const bare = { name: 'bare', supports: {} }
  t.match(failure(profile({ features: { tools: true }, limits: { contextTokens: 10 ** 9 } }), [bare, provider('a', { contextWindow: 1000 })]).details, { max_context_tokens: 1000 })
  t.match(failure(profile({ features: { hostedTools: ['web_search'] } }), [bare]).details, { tool: 'web_search' })
  t.equal(failure(profile({ requiredParams: ['seed'] }), [bare]).code, 'required_params_not_supported')
  t.equal(paramOf(failure(profile({ features: { vision: true }, fields: { messages: 'input' } }), [bare])), 'input')
  t.equal(paramOf(failure(profile({ policy: { block: ['full'] } }), [full])), 'provider.ignore')
  t.equal(paramOf(failure(profile({ endpoint: 'responses', features: { reasoning: true }, fields: { reasoning: 'reasoning.effort' } }), [provider('a', {}, { reasoning: false })])), 'reasoning.effort')
})

t.test('mixed cases: the nearest miss decides', async (t) => {
  // the only providers that could serve it are blocked
  t.equal(failure(profile({ features: { tools: true }, policy: { block: ['capable'] } }), [provider('capable'), provider('weak', {}, { tools: false })]).code, 'provider_blocked')
  // all capable providers cost too much; the cheap one lacks tools
  t.equal(failure(profile({ features: { tools: true }, limits: { maxPrice: 0.5 } }), [provider('pricey', { price: 2 }), provider('cheap', { price: 0.1 }, { tools: false })]).code, 'cost_constraint_exceeded')
  // capable providers exist but are all down
  t.equal(failure(profile({ features: { vision: true } }), [provider('down', { available: false }), provider('blind', {}, { vision: false })]).code, 'no_provider_available')
  // the same stage: fewest reasons wins (b lacks only vision)
  t.equal(failure(profile({ features: { tools: true, vision: true } }), [provider('a', {}, { tools: false, vision: false }), provider('b', {}, { vision: false })]).code, 'vision_not_supported')
  // tie at the same stage, one reason each: the check listed first wins (tools before vision)
  t.equal(failure(profile({ features: { tools: true, vision: true } }), [provider('a', {}, { tools: false }), provider('b', {}, { vision: false })]).code, 'tools_not_supported')
  // tools and structured output apart, but one provider has both (and lacks vision): not the combined code
  t.equal(failure(profile({ features: { tools: true, structuredOutput: true, vision: true } }), [
    provider('a', {}, { structuredOutput: false }), provider('b', {}, { tools: false }), provider('c', {}, { vision: false })
  ]).code, 'tools_not_supported')
  // a provider with both, but not in one request
  t.equal(failure(profile({ features: { tools: true, structuredOutput: true } }), [provider('a', {}, { toolsWithStructuredOutput: false })]).code, 'tools_with_structured_output_not_supported')
  // a later stage beats an earlier one: b could serve it but for the allowlist; a lacks reasoning
  t.equal(failure(profile({ features: { reasoning: true }, policy: { allow: ['a'] } }), [provider('a', {}, { reasoning: false }), provider('b')]).code, 'provider_not_in_allowlist')
  // …whatever the number of reasons: b fails two policy checks, a one feature
  t.equal(failure(profile({ features: { reasoning: true }, policy: { allow: ['a'], block: ['b'] } }), [provider('a', {}, { reasoning: false }), provider('b')]).code, 'provider_not_in_allowlist')
})

t.test('routing succeeds: the eligible providers, sorted when asked', async (t) => {
  const models = { m: { id: 'm', providers: [provider('slow', { latencyMs: 900, price: 0.2, throughput: 10 }), provider('fast', { latencyMs: 50, price: 3, throughput: 300 }), provider('down', { available: false })] } }
  t.equal(selectProvider(profile(), models).name, 'slow', 'given order')
  t.same(routeRequest(profile(), models, { sort: 'latency' }).map((p) => p.name), ['fast', 'slow'])
  t.same(routeRequest(profile(), models, { sort: 'price' }).map((p) => p.name), ['slow', 'fast'])
  t.same(routeRequest(profile(), models, { sort: 'throughput' }).map((p) => p.name), ['fast', 'slow'])
  t.equal(selectProvider(profile(), new Map(Object.entries(models))).name, 'slow', 'a Map works too')
  t.equal(selectProvider(profile(), { m: { id: 'm', providers: [{ name: 'bare', supports: {} }] } }).name, 'bare', 'defaults: chat endpoint, streaming and non-streaming')
  const unknowns = { m: { id: 'm', providers: [{ name: 'bare', supports: {} }, provider('known', { price: 1, latencyMs: 1, throughput: 1 }), { name: 'bare2', supports: {} }] } }
  for (const sort of ['price', 'latency', 'throughput'] as const) {
    t.same(routeRequest(profile(), unknowns, { sort }).map((p) => p.name), ['known', 'bare', 'bare2'], `${sort}: unknown figures sort last`)
  }
})

t.test('through the plugin: a thrown CapabilityRoutingError needs no code in the route', async (t) => {
  const app = await buildApp({}, (app) => {
    app.post('/route', async (request) => {
      const { request: req, providers } = request.body as { request: RequestProfile, providers: ProviderDescription[] }
      return selectProvider(req, { m: { id: 'm', providers } })
    })
  })
  t.teardown(() => app.close())
  const res = await app.inject({
    method: 'POST',
    url: '/route',
    payload: { request: profile({ features: { tools: true, structuredOutput: true } }), providers: [provider('a', {}, { structuredOutput: false }), provider('b', {}, { tools: false })] }
  })
  t.equal(res.statusCode, 400)
  const body = res.json()
  t.equal(body.error.code, 'tools_with_structured_output_not_supported')
  t.equal(body.error.param, 'response_format')
  t.equal(body.error.message, "Model does not support tools with structured output: model 'm'")
  t.same(body.error.details.providers, [
    { provider: 'a', reasons: [{ code: 'structured_output_not_supported', message: 'a does not support structured output' }] },
    { provider: 'b', reasons: [{ code: 'tools_not_supported', message: 'b does not support tool calling' }] }
  ])
  t.equal(validateBody('openai', 'tools_with_structured_output_not_supported', body), null)
  const down = await app.inject({ method: 'POST', url: '/route', payload: { request: profile(), providers: [provider('a', { available: false, retryAfterMs: 1200 })] } })
  t.equal(down.statusCode, 503)
  t.ok(Number(down.headers['retry-after-ms']) >= 1200 && Number(down.headers['retry-after-ms']) <= 1800, 'the provider\'s wait, with jitter')
  t.equal(down.headers['x-should-retry'], 'true')
})
