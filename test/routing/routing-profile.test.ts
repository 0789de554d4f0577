import t from 'tap'
import { estimateTokens, profileFromChatCompletion, profileFromResponses } from '../internals'

t.test('profile of a chat completion body', async (t) => {
  const profile = profileFromChatCompletion({
    model: 'gpt-x',
    stream: true,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'x' } }] }],
    tools: [{ type: 'function', function: { name: 'f' } }, { type: 'web_search' }],
    tool_choice: 'required',
    response_format: { type: 'json_schema', json_schema: {} },
    modalities: ['text', 'audio'],
    reasoning_effort: 'high',
    web_search_options: {},
    temperature: 0.2,
    logprobs: true,
    max_tokens: 100,
    service_tier: 'priority',
    provider: { only: ['a'], ignore: ['b'], max_price: { prompt: 2 }, max_latency: 500, min_throughput: 50, require_parameters: true, byok_only: true }
  })
  t.same(profile, {
    model: 'gpt-x',
    endpoint: 'chat',
    stream: true,
    features: {
      tools: true,
      toolChoiceRequired: true,
      structuredOutput: true,
      jsonMode: false,
      vision: true,
      audioOutput: true,
      reasoning: true,
      disableThinking: false,
      hostedTools: ['web_search']
    },
    requiredParams: ['temperature', 'logprobs', 'max_tokens'],
    limits: { maxPrice: 2, maxLatencyMs: 500, minThroughput: 50, contextTokens: profile.limits.contextTokens },
    policy: { allow: ['a'], block: ['b'], byokOnly: true, tiers: ['priority'] }
  })
  t.ok((profile.limits.contextTokens ?? 0) > 100, 'prompt estimate plus max_tokens')

  const minimal = profileFromChatCompletion({ model: 'm', messages: [{ role: 'user', content: 'hi' }], reasoning_effort: 'none', response_format: { type: 'json_object' }, service_tier: 'auto', provider: { max_price: 1 } })
  t.match(minimal, { stream: false, features: { tools: false, jsonMode: true, structuredOutput: false, reasoning: false, disableThinking: true, vision: false, hostedTools: [] }, requiredParams: undefined, policy: { tiers: undefined }, limits: { maxPrice: 1 } })
  t.match(profileFromChatCompletion(null), { model: '', endpoint: 'chat', features: { tools: false } }, 'any input gives a profile')
  t.match(profileFromChatCompletion({ model: 7, messages: 'x', tools: 'y', provider: { only: 'a', max_price: 'cheap' } }), { model: '', policy: { allow: undefined }, limits: { maxPrice: undefined } })
})

t.test('profile of a Responses API body', async (t) => {
  const profile = profileFromResponses({
    model: 'o-x',
    input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }],
    instructions: 'be brief',
    tools: [{ type: 'file_search' }, { type: 'function', name: 'f' }],
    text: { format: { type: 'json_schema' } },
    reasoning: { effort: 'low' },
    max_output_tokens: 50
  })
  t.match(profile, {
    model: 'o-x',
    endpoint: 'responses',
    features: { tools: true, structuredOutput: true, vision: true, reasoning: true, hostedTools: ['file_search'] },
    fields: { messages: 'input', reasoning: 'reasoning.effort' }
  })
  t.match(profileFromResponses({ model: 'm', input: 'hello', reasoning: { effort: 'none' } }), { features: { vision: false, reasoning: false, disableThinking: true } })
  t.match(profileFromResponses(undefined), { model: '', endpoint: 'responses' })
})

t.test('estimateTokens', async (t) => {
  t.equal(estimateTokens('abcdefgh'), 2)
  t.equal(estimateTokens(undefined), 1)
  t.equal(estimateTokens([{ a: 1 }]), 3)
})

t.test('a structure nested too deeply to read is an invalid_request, not a crash', async (t) => {
  // Node 20–24 cannot stringify 100,000 levels (a RangeError); Node 26 can: either way, no crash.
  const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000))
  const outcome = (read: () => unknown) => { try { return read() } catch (error) { return error } }
  for (const result of [outcome(() => estimateTokens(deep)), outcome(() => profileFromChatCompletion({ model: 'm', messages: [{ role: 'user', content: deep }] }))]) {
    if (result instanceof Error) t.match(result, { code: 'invalid_request' }, 'too deep for this Node: invalid_request')
    else t.ok(result !== undefined, 'read in full')
  }
  // What no Node can stringify (a structure that refers to itself) takes the same path, on every version.
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  t.throws(() => estimateTokens(cyclic), { code: 'invalid_request' })
  t.throws(() => profileFromChatCompletion({ model: 'm', messages: [{ role: 'user', content: cyclic }] }), { code: 'invalid_request' })
})
