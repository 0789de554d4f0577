// The OpenAI-compatible inference routes: chat completions, responses, embeddings, batches.
// Each one: scope and plan, then the plugin's router picks a provider (or throws the capability
// code), then the price is reserved and the provider called.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { GatewayError } from 'fastify-gateway-errors'
import { profileFromChatCompletion, profileFromResponses } from 'fastify-gateway-errors/routing'
import { ChatBody, EmbeddingsBody, ResponsesBody } from '../schemas'
import { routeDocs } from '../route-docs'
import type { Services } from './services'

export const inferenceRoutes: FastifyPluginAsyncTypebox<Services> = async (app, { store, billing, forwarder, guard, route, auth }) => {
  app.post('/v1/chat/completions', { schema: { ...routeDocs.chatCompletions.schema, body: ChatBody }, config: routeDocs.chatCompletions.config }, async (request, reply) => {
    const plan = await billing.admit(request, 'chat')
    // the profile first: it refuses messages nested too deep to read
    const profile = { ...profileFromChatCompletion(request.body), contentFlags: guard.contentFlags(request.body.messages) }
    guard.check(request.body.messages)
    const candidates = route(profile)
    if (request.body.stream === true) {
      // billed for what the stream delivers, once it has ended
      return forwarder.pipe(reply, await billing.chargedStream(request, plan, () => forwarder.stream(request, reply, candidates, request.body)))
    }
    return billing.charged(request, plan, () => forwarder.complete(request, reply, candidates, request.body))
  })

  app.post('/v1/responses', { schema: { ...routeDocs.responses.schema, body: ResponsesBody }, config: routeDocs.responses.config }, async (request, reply) => {
    const plan = await billing.admit(request, 'responses')
    const profile = { ...profileFromResponses(request.body), contentFlags: guard.contentFlags(request.body.input) }
    const candidates = route(profile)
    const messages = [{ role: 'user', content: JSON.stringify(request.body.input) }]
    const completion = await billing.charged(request, plan, () => forwarder.complete(request, reply, candidates, { model: request.body.model, messages }))
    // A Responses API object as clients parse it (the AI SDK's OpenAI provider checks every field here).
    const usage = completion.usage
    return {
      id: `resp_${request.id}`,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'completed',
      model: request.body.model,
      error: null,
      incomplete_details: null,
      output: [{
        type: 'message',
        id: `msg_${request.id}`,
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: completion.choices[0]?.message.content ?? '', annotations: [] }]
      }],
      usage: { input_tokens: usage?.prompt_tokens ?? 0, output_tokens: usage?.completion_tokens ?? 0, total_tokens: usage?.total_tokens ?? 0 }
    }
  })

  app.post('/v1/embeddings', { schema: { ...routeDocs.embeddings.schema, body: EmbeddingsBody }, config: routeDocs.embeddings.config }, async (request) => {
    await billing.admit(request, 'embeddings')
    route({ ...profileFromChatCompletion({ model: request.body.model, messages: [] }), endpoint: 'embeddings' })
    return { object: 'list', data: [] }
  })

  app.post('/v1/batches', routeDocs.batches, async (request) => {
    auth.requireScope(request, 'batches')
    await billing.requireFeature(request, 'batches')
    if (!await store.reserveBatchSlot()) throw new GatewayError('service_unavailable', { retry_after_ms: 500 })
    return { id: 'batch-demo', object: 'batch', status: 'validating' }
  })
}
