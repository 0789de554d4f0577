// For random provider sets and requests, the router and the nearest-miss translation agree.
import fc from 'fast-check'
import t from 'tap'
import { CapabilityRoutingError, checks, explain, routeRequest, stages, type ProviderDescription, type RequestProfile } from '../internals'

const names = ['a', 'b', 'c', 'd']
const params = ['temperature', 'logprobs', 'seed']
const hosted = ['web_search', 'code_interpreter']
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })

const providerArb = (name: string): fc.Arbitrary<ProviderDescription> => fc.record({
  name: fc.constant(name),
  endpoints: maybe(fc.subarray(['chat', 'responses', 'embeddings'])),
  supports: fc.record({
    tools: fc.boolean(),
    toolChoiceRequired: fc.boolean(),
    structuredOutput: fc.boolean(),
    toolsWithStructuredOutput: maybe(fc.boolean()),
    jsonMode: fc.boolean(),
    vision: fc.boolean(),
    audioOutput: fc.boolean(),
    reasoning: fc.boolean(),
    disableThinking: fc.boolean(),
    streaming: maybe(fc.boolean()),
    nonStreaming: maybe(fc.boolean()),
    hostedTools: fc.subarray(hosted),
    params: fc.subarray(params)
  }),
  price: maybe(fc.integer({ min: 0, max: 10 })),
  latencyMs: maybe(fc.integer({ min: 10, max: 1000 })),
  throughput: maybe(fc.integer({ min: 1, max: 300 })),
  contextWindow: maybe(fc.integer({ min: 1000, max: 200_000 })),
  available: maybe(fc.boolean()),
  keys: maybe(fc.record({ platform: fc.boolean(), byok: fc.boolean() })),
  tier: maybe(fc.constant('priority')),
  batchOnly: maybe(fc.boolean()),
  contentFilter: maybe(fc.subarray(['violence', 'self-harm']))
}, { requiredKeys: ['name', 'supports'] })

const providersArb = fc.subarray(names, { minLength: 1 }).chain((picked) => fc.tuple(...picked.map(providerArb)))

const profileArb: fc.Arbitrary<RequestProfile> = fc.record({
  model: fc.constant('m'),
  endpoint: fc.constantFrom('chat', 'responses', 'embeddings'),
  stream: fc.boolean(),
  batch: maybe(fc.boolean()),
  features: fc.record({
    tools: fc.boolean(),
    toolChoiceRequired: fc.boolean(),
    structuredOutput: fc.boolean(),
    jsonMode: fc.boolean(),
    vision: fc.boolean(),
    audioOutput: fc.boolean(),
    reasoning: fc.boolean(),
    disableThinking: fc.boolean(),
    hostedTools: fc.subarray(hosted)
  }),
  requiredParams: maybe(fc.subarray(params)),
  limits: fc.record({
    maxPrice: maybe(fc.integer({ min: 0, max: 10 })),
    maxLatencyMs: maybe(fc.integer({ min: 10, max: 1000 })),
    minThroughput: maybe(fc.integer({ min: 1, max: 300 })),
    contextTokens: maybe(fc.integer({ min: 100, max: 300_000 }))
  }),
  policy: fc.record({
    allow: maybe(fc.subarray(names)),
    block: maybe(fc.subarray(names)),
    byokOnly: maybe(fc.boolean()),
    tiers: maybe(fc.subarray(['priority']))
  }),
  contentFlags: maybe(fc.subarray(['violence', 'self-harm']))
}, { requiredKeys: ['model', 'endpoint', 'stream', 'features', 'limits', 'policy'] })

const stageOf = new Map(checks.map((check) => [check.code, stages.indexOf(check.stage)]))
const capabilityCodes = new Set(checks.filter((check) => check.stage === 'features').map((check) => check.code))

t.test('router and translation agree', async (t) => {
  let failures = 0
  fc.assert(fc.property(profileArb, providersArb, (profile, providers) => {
    const reasons = explain(profile, providers)
    const servable = reasons.filter((r) => r.reasons.length === 0).map((r) => r.provider)
    let chosen: ProviderDescription[]
    try {
      chosen = routeRequest(profile, { m: { id: 'm', providers } })
    } catch (error) {
      failures++
      if (!(error instanceof CapabilityRoutingError)) return false
      // it fails only when no provider can serve the request
      if (servable.length > 0) return false
      const code = error.code
      const codesSeen = new Set(reasons.flatMap((r) => r.reasons.map((reason) => reason.code)))
      if (code === 'tools_with_structured_output_not_supported' && !codesSeen.has(code)) {
        // tools and structured output wanted, offered only apart: no provider offers them together
        return profile.features.tools === true && profile.features.structuredOutput === true &&
          !providers.some((p) => p.supports.tools && p.supports.structuredOutput && p.supports.toolsWithStructuredOutput !== false)
      }
      // the code is a reason some provider was rejected for…
      if (!codesSeen.has(code)) return false
      // …no provider got further than the stage it names…
      const stage = stageOf.get(code) as number
      const firstStages = reasons.map((r) => Math.min(...r.reasons.map((reason) => stageOf.get(reason.code) as number)))
      if (firstStages.some((first) => first > stage)) return false
      // …and if it names a capability, no provider offers it together with everything else needed
      if (capabilityCodes.has(code)) {
        for (const r of reasons) {
          const others = r.reasons.filter((reason) => reason.code !== code)
          if (!r.reasons.some((reason) => reason.code === code) && others.length === 0) return false
        }
      }
      return error.rejections.length === providers.length
    }
    // it succeeds with exactly the providers that have no reason against them
    return chosen.length === servable.length && chosen.every((p) => servable.includes(p.name))
  }), { numRuns: Number(process.env.FC_RUNS ?? 5000) })
  t.ok(failures > 1000, `enough failing cases exercised (${failures})`)
})
