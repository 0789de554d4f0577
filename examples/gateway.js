'use strict'
// A small OpenAI-compatible gateway built on the plugin. `npm start`.
const Fastify = require('fastify')
const gatewayErrors = require('..')
const { GatewayError } = gatewayErrors

const MODELS = {
  'demo-chat': { context: 8192, streaming: true, tools: true },
  'demo-batch': { context: 8192, batchOnly: true }
}
const KEYS = { 'sk-demo-full': { scopes: ['chat', 'models'] }, 'sk-demo-readonly': { scopes: ['models'] } }

function authenticate (request) {
  const header = request.headers.authorization
  const key = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined
  const account = key === undefined ? undefined : KEYS[key]
  if (account === undefined) throw new GatewayError('invalid_api_key', key === undefined ? undefined : { key_hint: gatewayErrors.maskSecret(key) })
  return account
}

function build (options = {}) {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 1024 * 1024, ajv: { customOptions: { removeAdditional: false } } })
  app.register(gatewayErrors)
  app.register(async (app) => {
    app.get('/v1/models', async (request) => {
      authenticate(request)
      return { object: 'list', data: Object.keys(MODELS).map((id) => ({ id, object: 'model' })) }
    })
    app.get('/v1/models/:id', async (request) => {
      authenticate(request)
      const { id } = request.params
      if (!Object.hasOwn(MODELS, id)) throw new GatewayError('model_not_found', { model: id })
      return { id, object: 'model' }
    })
    app.post('/v1/chat/completions', {
      schema: {
        body: {
          type: 'object',
          required: ['model', 'messages'],
          additionalProperties: false,
          properties: {
            model: { type: 'string' },
            messages: { type: 'array', items: { type: 'object', required: ['role', 'content'] } },
            stream: { type: 'boolean' },
            temperature: { type: 'number', minimum: 0, maximum: 2 },
            max_tokens: { type: 'integer', minimum: 1 },
            tools: { type: 'array' }
          }
        }
      }
    }, async (request, reply) => {
      const account = authenticate(request)
      if (!account.scopes.includes('chat')) throw new GatewayError('insufficient_permissions', { required_scope: 'chat' })
      const { model, messages, stream } = request.body
      const spec = MODELS[model]
      if (spec === undefined) throw new GatewayError('model_not_found', { model })
      if (spec.batchOnly) throw new GatewayError('batch_only', { model })
      const tokens = JSON.stringify(messages).length
      if (tokens > spec.context) throw new GatewayError('context_length_exceeded', { model, requested_tokens: tokens, max_context_tokens: spec.context })
      const content = 'Hello from the demo gateway.'
      if (stream === true) {
        reply.hijack()
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
        reply.raw.write(`data: ${JSON.stringify({ id: 'chatcmpl-demo', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }] })}\n\n`)
        reply.raw.end('data: [DONE]\n\n')
        return reply
      }
      return {
        id: 'chatcmpl-demo',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: tokens, completion_tokens: 6, total_tokens: tokens + 6 }
      }
    })
  })
  return app
}

module.exports = { build }

if (require.main === module) {
  const app = build({ logger: true })
  const port = Number(process.env.PORT ?? 3000)
  app.listen({ port, host: process.env.HOST ?? '127.0.0.1' }).then((address) => {
    app.log.info(`Example gateway at ${address}/v1 — API keys: ${Object.keys(KEYS).join(', ')}`)
  }, (error) => {
    console.error(error)
    process.exit(1)
  })
}
