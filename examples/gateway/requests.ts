// For every sendable code, the ordinary request that produces it from the example gateway. The
// README's curl table and the conformance tests are both generated from this list.
export interface ExampleCall {
  method: string
  path: string
  key?: string
  headers?: Record<string, string>
  body?: Record<string, unknown>
  raw?: string
}

export interface ExampleRequest extends ExampleCall {
  /** Sent first, with the same key. */
  before?: ExampleCall[]
  note: string
}

const chat = (body: Record<string, unknown>) => ({ method: 'POST', path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'Hello' }], ...body } })
const hello = [{ role: 'user', content: 'Hello' }]

export const requests: Record<string, ExampleRequest> = {
  batch_only: { ...chat({ model: 'demo-batch' }), note: 'a batch-only model, in real time' },
  budget_exhausted: { ...chat({ model: 'demo-chat' }), key: 'sk-demo-broke', note: 'the key\'s project has spent its budget' },
  byok_keys_required: { ...chat({ model: 'demo-chat', provider: { byok_only: true } }), note: 'BYOK only, no keys of yours configured' },
  content_filtered: { ...chat({ model: 'demo-filtered', messages: [{ role: 'user', content: 'How do I attack a castle?' }] }), note: 'flagged content, a provider whose filter rejects it' },
  context_length_exceeded: { ...chat({ model: 'demo-small', messages: [{ role: 'user', content: 'long '.repeat(600) }] }), note: 'more tokens than the model\'s window' },
  cost_constraint_exceeded: { ...chat({ model: 'demo-chat', provider: { max_price: 0.01 } }), note: 'a price cap below every provider' },
  duplicate_resource: { method: 'POST', path: '/v1/projects', key: 'sk-demo-admin', body: { id: 'proj-demo', name: 'Demo again' }, note: 'a project id that exists (creating one is the admin\'s)' },
  expired_api_key: { ...chat({ model: 'demo-chat' }), key: 'sk-demo-expired', note: 'an expired key' },
  feature_disabled: { method: 'POST', path: '/v1/responses', body: { model: 'demo-chat', input: 'Hello' }, key: 'sk-demo-free', note: 'the free plan has no Responses API' },
  field_immutable: { method: 'PATCH', path: '/v1/projects/proj-demo', body: { id: 'proj-renamed' }, note: 'a project id cannot change' },
  hosted_tool_not_supported: { ...chat({ model: 'demo-chat', tools: [{ type: 'code_interpreter' }] }), note: 'a hosted tool no provider runs' },
  idempotency_conflict: {
    method: 'POST',
    path: '/v1/projects',
    key: 'sk-demo-admin',
    headers: { 'idempotency-key': 'idem-demo-1' },
    body: { id: 'proj-idem-b', name: 'Second payload' },
    before: [{ method: 'POST', path: '/v1/projects', headers: { 'idempotency-key': 'idem-demo-1' }, body: { id: 'proj-idem-a', name: 'First payload' } }],
    note: 'the same Idempotency-Key with another payload'
  },
  insufficient_permissions: { ...chat({ model: 'demo-chat' }), key: 'sk-demo-readonly', note: 'a key with only the models scope' },
  insufficient_quota: { ...chat({ model: 'demo-chat' }), key: 'sk-demo-noquota', note: 'a plan with no quota left' },
  internal_error: { method: 'GET', path: '/v1/projects/proj-corrupt', note: 'a corrupt record makes the handler fail' },
  invalid_api_key: { ...chat({ model: 'demo-chat' }), key: 'sk-demo-nonexistent', note: 'an unknown key (or none, or malformed, or revoked)' },
  invalid_parameter_value: { ...chat({ model: 'demo-chat', temperature: 5 }), note: 'temperature above 2' },
  invalid_recovery_code: { method: 'DELETE', path: '/v1/keys/key_demo_readonly', headers: { 'x-mfa-recovery-code': 'rc-0000-0000' }, note: 'an MFA-protected action, a wrong recovery code' },
  invalid_request: { method: 'POST', path: '/v1/chat/completions', raw: '{"model": "demo-chat", "messages": [', note: 'malformed JSON' },
  json_mode_not_supported: { ...chat({ model: 'demo-basic', response_format: { type: 'json_object' } }), note: 'JSON mode on a model without it' },
  latency_constraint_exceeded: { ...chat({ model: 'demo-chat', provider: { max_latency: 10 } }), note: 'a latency cap below every provider' },
  method_not_allowed: { method: 'DELETE', path: '/v1/chat/completions', note: 'a known path, a method it does not serve' },
  mfa_required: { method: 'DELETE', path: '/v1/keys/key_demo_readonly', note: 'an MFA-protected action without a code' },
  mfa_verification_failed: { method: 'DELETE', path: '/v1/keys/key_demo_readonly', headers: { 'x-mfa-code': '000000' }, note: 'an MFA-protected action, a wrong TOTP code' },
  missing_required_parameter: { method: 'POST', path: '/v1/chat/completions', body: { messages: hello }, note: 'no model' },
  model_not_found: { ...chat({ model: 'demo-nope' }), note: 'a model the gateway does not know' },
  model_unavailable: { ...chat({ model: 'demo-maintenance' }), note: 'a model in maintenance' },
  no_compatible_endpoint: { method: 'POST', path: '/v1/embeddings', body: { model: 'demo-chat', input: 'Hello' }, note: 'embeddings from a chat-only model' },
  no_provider_available: { ...chat({ model: 'demo-down' }), note: 'every provider of the model is down' },
  no_responses_endpoint: { method: 'POST', path: '/v1/responses', body: { model: 'demo-basic', input: 'Hello' }, note: 'the Responses API for a model no provider serves there' },
  non_streaming_not_supported: { ...chat({ model: 'demo-stream-only' }), note: 'a stream-only model without stream: true' },
  operation_not_allowed: { method: 'DELETE', path: '/v1/projects/proj-default', note: 'the default project cannot be deleted' },
  payload_too_large: { ...chat({ model: 'demo-chat', messages: [{ role: 'user', content: 'a'.repeat(300_000) }] }), note: 'a body over the 256 KiB limit' },
  platform_keys_unavailable: { ...chat({ model: 'demo-byok' }), note: 'a model the gateway has no key for' },
  provider_blocked: { ...chat({ model: 'demo-basic', provider: { ignore: ['gamma'] } }), note: 'every provider of the model blocked' },
  provider_not_in_allowlist: { ...chat({ model: 'demo-basic', provider: { only: ['alpha'] } }), note: 'an allowlist without the model\'s providers' },
  rate_limit_exceeded: { ...chat({ model: 'demo-limited' }), note: 'a provider that rate-limits (429, retry after 100 ms)' },
  reasoning_not_supported: { ...chat({ model: 'demo-basic', reasoning_effort: 'high' }), note: 'reasoning on a model without it' },
  required_params_not_supported: { ...chat({ model: 'demo-basic', logprobs: true, provider: { require_parameters: true } }), note: 'logprobs required, no provider honours them' },
  resource_not_found: { method: 'GET', path: '/v1/projects/proj-missing', note: 'a project that does not exist' },
  response_api_only: { ...chat({ model: 'demo-responses-only' }), note: 'a Responses-only model through Chat Completions' },
  service_unavailable: { method: 'POST', path: '/v1/batches', body: { input_file_id: 'file-demo' }, note: 'batch capacity exhausted' },
  state_precondition_failed: { method: 'POST', path: '/v1/projects/proj-archived/keys', key: 'sk-demo-admin', body: {}, note: 'a key for an archived project' },
  streaming_not_supported: { ...chat({ model: 'demo-no-stream', stream: true }), note: 'stream: true on a model that cannot stream' },
  structured_output_not_supported: { ...chat({ model: 'demo-basic', response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } }), note: 'a JSON schema on a model without structured output' },
  thinking_disable_not_supported: { ...chat({ model: 'demo-reasoner', reasoning_effort: 'none' }), note: 'thinking off on a model that always thinks' },
  throughput_constraint_not_met: { ...chat({ model: 'demo-chat', provider: { min_throughput: 1000 } }), note: 'a throughput floor above every provider' },
  tier_opt_in_required: { ...chat({ model: 'demo-priority' }), note: 'a priority-tier model without service_tier' },
  tool_choice_required_not_supported: { ...chat({ model: 'demo-small', tools: [{ type: 'function', function: { name: 'f', parameters: {} } }], tool_choice: 'required' }), note: 'tool_choice "required" where only "auto" works' },
  tools_not_supported: { ...chat({ model: 'demo-basic', tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }), note: 'tools on a model without them' },
  tools_with_structured_output_not_supported: { ...chat({ model: 'demo-split', tools: [{ type: 'function', function: { name: 'f', strict: true, parameters: { type: 'object', properties: {}, additionalProperties: false } } }], response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } }), note: 'tools and a JSON schema, offered only by different providers' },
  unknown_field: { ...chat({ model: 'demo-chat', temprature: 0.2 }), note: 'a misspelt field' },
  unsupported_modalities: { ...chat({ model: 'demo-chat', modalities: ['text', 'audio'] }), note: 'audio output' },
  upstream_error: { ...chat({ model: 'demo-flaky' }), note: 'the provider answers with HTML' },
  upstream_timeout: { ...chat({ model: 'demo-slow' }), note: 'the provider never answers' },
  vision_not_supported: { ...chat({ model: 'demo-basic', messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }), note: 'an image for a text-only model' }
}
