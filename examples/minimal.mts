// The README's quick start as a file, type-checked with the examples; test/package/docs.test.ts checks the
// README shows exactly this code, and test/package/consumers.test.ts runs it against the packed package.
import Fastify from 'fastify'
import gatewayErrors, { GatewayError } from 'fastify-gateway-errors'

const models = new Map([['gpt-4o', { id: 'gpt-4o', object: 'model', context_window: 128_000 }]])

const app = Fastify({ logger: true })
await app.register(gatewayErrors) // first: routes added after it get the error handling and schemas

app.get('/v1/models/:id', async (request, reply) => {
  const { id } = request.params as { id: string }
  const model = models.get(id)
  if (model === undefined) return reply.gatewayError('model_not_found', { model: id })
  return model
})

app.post('/v1/chat/completions', {
  schema: { body: { type: 'object', required: ['model', 'messages'], properties: { model: { type: 'string' }, messages: { type: 'array' } } } }
}, async (request) => {
  const { model, messages } = request.body as { model: string, messages: unknown[] }
  const entry = models.get(model)
  if (entry === undefined) throw new GatewayError('model_not_found', { model })
  const tokens = Math.ceil(JSON.stringify(messages).length / 4)
  if (tokens > entry.context_window) {
    throw new GatewayError('context_length_exceeded', { requested_tokens: tokens, max_context_tokens: entry.context_window })
  }
  return { id: 'chatcmpl-1', object: 'chat.completion', model, choices: [] }
})

app.post('/v1/messages', { config: { gatewayErrors: { envelope: 'anthropic' } } }, async () => {
  throw new GatewayError('model_unavailable', { retry_after_ms: 2000 })
})

await app.listen({ port: Number(process.env.PORT ?? 3000) })
