'use strict'
// A small OpenAI-compatible (and Anthropic-compatible) gateway on fastify-gateway-errors: API keys,
// scopes, plans, MFA, per-key rate limits, budgets and quotas, idempotency, a model catalog routed by
// the plugin's router, and fake upstream providers. Every catalog code has a natural home here.
const Fastify = require('fastify')
const gatewayErrors = require('fastify-gateway-errors')
const { profileFromChatCompletion, profileFromResponses, routeRequest } = require('fastify-gateway-errors/routing')
const models = require('./models.json')
const { createMemoryStore } = require('./store')

const { GatewayError, fetchUpstream, maskSecret } = gatewayErrors

const MODERATION = { violence: /\b(kill|attack|weapon)s?\b/i }
const GUARDRAIL = /ignore (?:all )?previous instructions/i
const API_KEY = /^sk-[A-Za-z0-9_-]{8,}$/
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/

const modelTable = Object.fromEntries(Object.entries(models).map(([id, model]) => [id, { id, ...model }]))

const chatBody = {
  type: 'object',
  required: ['model', 'messages'],
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role'],
        properties: { role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool'] } }
      }
    },
    stream: { type: 'boolean' },
    stream_options: { type: 'object' },
    temperature: { type: 'number', minimum: 0, maximum: 2 },
    top_p: { type: 'number', minimum: 0, maximum: 1 },
    max_tokens: { type: 'integer', minimum: 1 },
    max_completion_tokens: { type: 'integer', minimum: 1 },
    n: { type: 'integer', minimum: 1, maximum: 8 },
    seed: { type: 'integer' },
    stop: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    logprobs: { type: 'boolean' },
    top_logprobs: { type: 'integer', minimum: 0, maximum: 20 },
    frequency_penalty: { type: 'number', minimum: -2, maximum: 2 },
    presence_penalty: { type: 'number', minimum: -2, maximum: 2 },
    logit_bias: { type: 'object' },
    tools: { type: 'array', items: { type: 'object', required: ['type'] } },
    tool_choice: {},
    parallel_tool_calls: { type: 'boolean' },
    response_format: { type: 'object', required: ['type'], properties: { type: { type: 'string', enum: ['text', 'json_object', 'json_schema'] } } },
    modalities: { type: 'array', items: { type: 'string', enum: ['text', 'audio'] } },
    audio: { type: 'object' },
    reasoning_effort: { type: 'string', enum: ['none', 'minimal', 'low', 'medium', 'high'] },
    web_search_options: { type: 'object' },
    service_tier: { type: 'string' },
    user: { type: 'string' },
    metadata: { type: 'object' },
    provider: {
      type: 'object',
      additionalProperties: false,
      properties: {
        only: { type: 'array', items: { type: 'string' } },
        ignore: { type: 'array', items: { type: 'string' } },
        max_price: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'object' }] },
        max_latency: { type: 'number', minimum: 0 },
        min_throughput: { type: 'number', minimum: 0 },
        require_parameters: { type: 'boolean' },
        byok_only: { type: 'boolean' }
      }
    }
  }
}

const responsesBody = {
  type: 'object',
  required: ['model', 'input'],
  properties: { model: { type: 'string', minLength: 1 }, input: {}, stream: { type: 'boolean' }, tools: { type: 'array' }, reasoning: { type: 'object' }, text: { type: 'object' }, max_output_tokens: { type: 'integer', minimum: 1 } }
}

const messagesBody = {
  type: 'object',
  required: ['model', 'max_tokens', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    max_tokens: { type: 'integer', minimum: 1 },
    messages: { type: 'array', minItems: 1 },
    system: {},
    stream: { type: 'boolean' },
    tools: { type: 'array' },
    thinking: { type: 'object' },
    temperature: { type: 'number', minimum: 0, maximum: 1 }
  }
}

const projectBody = {
  type: 'object',
  required: ['id', 'name'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: '^proj-[a-z0-9-]{1,40}$' }, name: { type: 'string', minLength: 1, maxLength: 80 }, budget_usd: { type: 'number', minimum: 0 } }
}

function contentFlags (messages) {
  const text = JSON.stringify(messages ?? '')
  return Object.entries(MODERATION).filter(([, pattern]) => pattern.test(text)).map(([flag]) => flag)
}

/**
 * Failed authentications per address. Past `max` in a window, the address is refused with
 * rate_limit_exceeded (and the wait) until the window ends, whatever key it sends: keys cannot be
 * guessed at speed. Authentication runs before @fastify/rate-limit, which counts per key.
 */
function createFailedLoginLimiter ({ max, windowMs, maxAddresses = 10_000 }) {
  const failures = new Map()
  return {
    /** The wait, in ms, when this address is refused now. */
    wait (address) {
      const entry = failures.get(address)
      if (entry === undefined) return undefined
      const left = entry.resetAt - Date.now()
      if (left <= 0) {
        failures.delete(address)
        return undefined
      }
      return entry.count >= max ? left : undefined
    },
    fail (address) {
      let entry = failures.get(address)
      if (entry === undefined || entry.resetAt <= Date.now()) {
        if (failures.size >= maxAddresses) failures.delete(failures.keys().next().value)
        entry = { count: 0, resetAt: Date.now() + windowMs }
        failures.set(address, entry)
      }
      entry.count++
    }
  }
}

/** The profile of an Anthropic Messages body, through the Chat Completions reader. */
function profileFromMessages (body) {
  const tools = (body.tools ?? []).map((tool) => tool.type === undefined || tool.type === 'custom' ? { type: 'function' } : { type: String(tool.type).replace(/_\d{8}$/, '') })
  const effort = body.thinking?.type === 'enabled' ? 'medium' : body.thinking?.type === 'disabled' ? 'none' : undefined
  const profile = profileFromChatCompletion({ model: body.model, messages: body.messages, stream: body.stream, tools, reasoning_effort: effort, max_tokens: body.max_tokens, provider: body.provider })
  return { ...profile, fields: { reasoning: 'thinking' } }
}

function build (options = {}) {
  const store = options.store ?? createMemoryStore({ idempotencyTtlMs: options.idempotencyTtlMs, idempotencyMaxEntries: options.idempotencyMaxEntries })
  const upstreamUrl = options.upstreamUrl
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 10_000
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    ajv: { customOptions: { removeAdditional: false } },
    requestIdHeader: 'x-request-id',
    frameworkErrors: gatewayErrors.gatewayFrameworkErrors,
    clientErrorHandler: gatewayErrors.gatewayClientErrorHandler
  })

  // Documentation first, so that it sees every route: the OpenAPI document at /docs/json, Swagger UI at /docs.
  app.register(require('@fastify/swagger'), gatewayErrors.withGatewayErrors({
    openapi: {
      info: { title: 'Example LLM gateway', version: '1.0.0', description: 'Every error reply follows the fastify-gateway-errors catalog.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }]
    }
  }))
  app.register(require('@fastify/swagger-ui'), { routePrefix: '/docs' })

  app.register(gatewayErrors, {
    negotiate: true,
    docsRoute: '/errors', // every error links to its page, served here
    // A code of the gateway's own, beside the catalog's: it gets a page, a schema and docs like them.
    extraCodes: { guardrail_blocked: { status: 403, message: 'Blocked by a guardrail policy', param: 'messages' } },
    // Anthropic clients send anthropic-version on every request: answer them in their shape.
    envelopeFor: (request) => request.headers['anthropic-version'] === undefined ? undefined : 'anthropic',
    onGatewayError: options.onGatewayError
  })

  const failedLogins = createFailedLoginLimiter({ max: options.failedLoginLimit ?? 20, windowMs: options.failedLoginWindowMs ?? 60_000 })

  app.register(async function api (app) {
    app.decorateRequest('account', null)

    app.addHook('onRequest', async (request) => {
      const wait = failedLogins.wait(request.ip)
      if (wait !== undefined) throw new GatewayError('rate_limit_exceeded', { retry_after_ms: wait })
      try {
        request.account = await authenticate(request)
      } catch (error) {
        failedLogins.fail(request.ip)
        throw error
      }
    })

    async function authenticate (request) {
      const header = request.headers.authorization ?? request.headers['x-api-key']
      const key = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '') : undefined
      if (key === undefined || key === '') throw new GatewayError('invalid_api_key')
      if (!API_KEY.test(key)) throw new GatewayError('invalid_api_key', { key_hint: maskSecret(key) })
      const account = await store.findKey(key)
      if (account === undefined || account.revoked) throw new GatewayError('invalid_api_key', { key_hint: maskSecret(key) })
      if (account.expiresAt !== undefined && account.expiresAt < Date.now()) {
        throw new GatewayError('expired_api_key', { key_hint: maskSecret(key), expired_at: new Date(account.expiresAt).toISOString() })
      }
      return { ...account, key }
    }

    await app.register(require('@fastify/rate-limit'), {
      max: async (request) => (await store.findKey(request.account?.key))?.rateLimit ?? 1000,
      timeWindow: options.rateLimitWindowMs ?? 60_000,
      keyGenerator: (request) => request.account?.key ?? request.ip,
      errorResponseBuilder: (_request, context) => new GatewayError('rate_limit_exceeded', { limit: context.max, retry_after_ms: context.ttl })
    })

    function requireScope (request, scope) {
      if (!request.account.scopes.includes(scope)) throw new GatewayError('insufficient_permissions', { required_scope: scope })
    }

    async function requireFeature (request, feature) {
      const plan = await store.plan(request.account.plan)
      if (!plan.features.includes(feature)) throw new GatewayError('feature_disabled', { feature })
      return plan
    }

    async function chargeable (request, feature) {
      requireScope(request, 'chat')
      const plan = await requireFeature(request, feature)
      const project = await store.project(request.account.project)
      if (project.spentUsd >= project.budgetUsd) throw new GatewayError('budget_exhausted', { scope: 'project', limit_usd: project.budgetUsd })
      if (plan.quota <= 0) throw new GatewayError('insufficient_quota')
    }

    async function requireMfa (request) {
      const code = request.headers['x-mfa-code']
      const recovery = request.headers['x-mfa-recovery-code']
      if (recovery !== undefined) {
        if (!await store.useRecoveryCode(String(recovery))) throw new GatewayError('invalid_recovery_code')
        return
      }
      if (code === undefined) throw new GatewayError('mfa_required', { action: `${request.method} ${request.routeOptions.url}` })
      if (!await store.verifyTotp(String(code))) throw new GatewayError('mfa_verification_failed')
    }

    function pick (profile) {
      return routeRequest(profile, modelTable, { sort: profile.limits.maxPrice === undefined ? undefined : 'price' })[0]
    }

    async function forward (request, reply, provider, body) {
      const url = `${upstreamUrl}/${provider.upstream}/v1/chat/completions`
      const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
      if (body.stream !== true) {
        const { body: completion } = await fetchUpstream(url, { ...init, provider: provider.name, timeoutMs: upstreamTimeoutMs, signal: request.abortSignal, validate: (b) => Array.isArray(b?.choices) })
        return completion
      }
      // The provider's events, checked: an error event (or a page that is no stream) becomes the
      // catalog's, in this route's envelope; the plugin ends the stream with it.
      const { stream } = await fetchUpstream(url, { ...init, provider: provider.name, timeoutMs: upstreamTimeoutMs, signal: request.abortSignal, raw: true })
      return reply.header('content-type', 'text/event-stream').header('cache-control', 'no-cache').send(stream)
    }

    app.get('/v1/models', async (request) => {
      requireScope(request, 'models')
      return { object: 'list', data: Object.keys(modelTable).map((id) => ({ id, object: 'model', owned_by: 'demo' })) }
    })

    app.get('/v1/models/:id', { config: { gatewayErrors: { codes: ['model_not_found', 'invalid_api_key', 'expired_api_key', 'insufficient_permissions', 'rate_limit_exceeded'] } } }, async (request) => {
      requireScope(request, 'models')
      const { id } = request.params
      if (!Object.hasOwn(modelTable, id)) throw new GatewayError('model_not_found', { model: id })
      return { id, object: 'model', owned_by: 'demo' }
    })

    app.post('/v1/chat/completions', { schema: { body: chatBody } }, async (request, reply) => {
      await chargeable(request, 'chat')
      // the profile first: it refuses messages nested too deep to read
      const profile = { ...profileFromChatCompletion(request.body), contentFlags: contentFlags(request.body.messages) }
      if (GUARDRAIL.test(JSON.stringify(request.body.messages))) throw new GatewayError('guardrail_blocked', { policy: 'prompt_injection' })
      const provider = pick(profile)
      return forward(request, reply, provider, request.body)
    })

    app.post('/v1/responses', { schema: { body: responsesBody } }, async (request, reply) => {
      await chargeable(request, 'responses')
      const profile = { ...profileFromResponses(request.body), contentFlags: contentFlags(request.body.input) }
      const provider = pick(profile)
      const completion = await forward(request, reply, provider, { model: request.body.model, messages: [{ role: 'user', content: JSON.stringify(request.body.input) }] })
      return { id: 'resp-demo', object: 'response', model: request.body.model, output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: completion.choices[0].message.content }] }] }
    })

    app.post('/v1/embeddings', async (request) => {
      await chargeable(request, 'embeddings')
      const body = request.body ?? {}
      pick({ ...profileFromChatCompletion({ model: body.model, messages: [] }), endpoint: 'embeddings' })
      return { object: 'list', data: [] }
    })

    app.post('/v1/messages', { schema: { body: messagesBody }, config: { gatewayErrors: { envelope: 'anthropic' } } }, async (request, reply) => {
      await chargeable(request, 'messages')
      const profile = { ...profileFromMessages(request.body), contentFlags: contentFlags(request.body.messages) }
      const provider = pick(profile)
      const messages = [{ role: 'user', content: JSON.stringify(request.body.messages) }]
      if (request.body.stream === true) {
        const url = `${upstreamUrl}/${provider.upstream}/v1/chat/completions`
        const { stream } = await fetchUpstream(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: request.body.model, messages, stream: true }), provider: provider.name, timeoutMs: upstreamTimeoutMs, signal: request.abortSignal, raw: true })
        reply.hijack()
        // reply's own headers carry the request id the plugin set (x-request-id and request-id)
        reply.raw.writeHead(200, { ...reply.getHeaders(), 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
        const event = (type, data) => reply.raw.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
        event('message_start', { message: { id: 'msg_demo', type: 'message', role: 'assistant', model: request.body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 0 } } })
        event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
        try {
          for await (const data of stream) {
            for (const line of String(data).split('\n')) {
              const text = line.startsWith('data: {') ? JSON.parse(line.slice(6)).choices?.[0]?.delta?.content : undefined
              if (text !== undefined) event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })
            }
          }
        } catch (error) {
          return reply.gatewayErrorFrom(error) // the provider's error, translated; one `event: error`
        }
        event('content_block_stop', { index: 0 })
        event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } })
        event('message_stop', {})
        reply.raw.end()
        return reply
      }
      const completion = await forward(request, reply, provider, { model: request.body.model, messages })
      return { id: 'msg_demo', type: 'message', role: 'assistant', model: request.body.model, content: [{ type: 'text', text: completion.choices[0].message.content }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 5 } }
    })

    app.post('/v1/batches', async (request) => {
      requireScope(request, 'batches')
      await requireFeature(request, 'batches')
      if (!await store.reserveBatchSlot()) throw new GatewayError('service_unavailable', { retry_after_ms: 500 })
      return { id: 'batch-demo', object: 'batch', status: 'validating' }
    })

    app.get('/v1/projects/:id', async (request) => {
      requireScope(request, 'projects')
      const project = await store.project(request.params.id)
      if (project === undefined) throw new GatewayError('resource_not_found', { resource: 'project', id: request.params.id })
      return { id: project.id, object: 'project', name: project.name.trim(), state: project.state, created_at: new Date(project.createdAt).toISOString() }
    })

    app.post('/v1/projects', { schema: { body: projectBody } }, async (request, reply) => {
      requireScope(request, 'projects')
      const idempotencyKey = request.headers['idempotency-key']
      if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey))) {
        throw new GatewayError('invalid_parameter_value', { param: 'Idempotency-Key', reason: 'must be one of 1 to 255 printable characters' })
      }
      // Records belong to the caller's project: another project's same key is another request.
      const scope = request.account.project
      const fingerprint = JSON.stringify(request.body)
      if (idempotencyKey !== undefined) {
        const seen = await store.idempotent(scope, idempotencyKey)
        if (seen !== undefined && seen.fingerprint !== fingerprint) throw new GatewayError('idempotency_conflict', { idempotency_key: String(idempotencyKey) })
        if (seen !== undefined) return reply.code(201).send(seen.response)
      }
      if (await store.project(request.body.id) !== undefined) throw new GatewayError('duplicate_resource', { resource: 'project', id: request.body.id })
      const project = await store.createProject({ id: request.body.id, name: request.body.name, state: 'active', budgetUsd: request.body.budget_usd ?? 100, spentUsd: 0, createdAt: Date.now() })
      const response = { id: project.id, object: 'project', name: project.name, state: project.state }
      if (idempotencyKey !== undefined) await store.remember(scope, idempotencyKey, fingerprint, response)
      return reply.code(201).send(response)
    })

    app.patch('/v1/projects/:id', { schema: { body: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string', minLength: 1 }, created_at: {}, budget_usd: { type: 'number', minimum: 0 } }, additionalProperties: false } } }, async (request) => {
      requireScope(request, 'projects')
      const project = await store.project(request.params.id)
      if (project === undefined) throw new GatewayError('resource_not_found', { resource: 'project', id: request.params.id })
      for (const field of ['id', 'created_at']) {
        if (request.body[field] !== undefined) throw new GatewayError('field_immutable', { param: field })
      }
      const updated = await store.updateProject(project.id, { name: request.body.name ?? project.name, budgetUsd: request.body.budget_usd ?? project.budgetUsd })
      return { id: updated.id, object: 'project', name: updated.name, state: updated.state }
    })

    app.delete('/v1/projects/:id', async (request) => {
      requireScope(request, 'projects')
      const project = await store.project(request.params.id)
      if (project === undefined) throw new GatewayError('resource_not_found', { resource: 'project', id: request.params.id })
      if (project.default) throw new GatewayError('operation_not_allowed', { operation: 'delete the default project' })
      await store.deleteProject(project.id)
      return { id: project.id, object: 'project.deleted', deleted: true }
    })

    app.post('/v1/projects/:id/keys', async (request, reply) => {
      requireScope(request, 'keys')
      const project = await store.project(request.params.id)
      if (project === undefined) throw new GatewayError('resource_not_found', { resource: 'project', id: request.params.id })
      if (project.state !== 'active') throw new GatewayError('state_precondition_failed', { resource: 'project', state: project.state, required_state: 'active' })
      return reply.code(201).send({ object: 'api_key', project: project.id, key_hint: 'sk-…new1' })
    })

    app.delete('/v1/keys/:key', async (request) => {
      requireScope(request, 'keys')
      await requireMfa(request)
      const deleted = await store.deleteKey(request.params.key)
      if (!deleted) throw new GatewayError('resource_not_found', { resource: 'api_key', id: maskSecret(request.params.key) })
      return { object: 'api_key.deleted', deleted: true }
    })
  })

  return app
}

module.exports = { build, modelTable }
