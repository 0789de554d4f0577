// POST /v1/messages, Anthropic-compatible: errors in Anthropic's envelope (the route's
// `config.gatewayErrors.envelope`), Anthropic's event stream built from the provider's chunks.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from '@sinclair/typebox'
import type { OutgoingHttpHeaders } from 'node:http'
import { profileFromChatCompletion, type RequestProfile } from 'fastify-gateway-errors/routing'
import { MessagesBody } from '../schemas'
import { routeDocs } from '../route-docs'
import type { Services } from './services'

type Messages = Static<typeof MessagesBody>

/** The profile of an Anthropic Messages body, through the Chat Completions reader. */
function profileFromMessages (body: Messages): RequestProfile {
  const tools = (body.tools ?? []).map((tool) => tool.type === undefined || tool.type === 'custom' ? { type: 'function' } : { type: tool.type.replace(/_\d{8}$/, '') })
  const effort = body.thinking?.type === 'enabled' ? 'medium' : body.thinking?.type === 'disabled' ? 'none' : undefined
  const profile = profileFromChatCompletion({ model: body.model, messages: body.messages, stream: body.stream, tools, reasoning_effort: effort, max_tokens: body.max_tokens, provider: body.provider })
  return { ...profile, fields: { reasoning: 'thinking' } }
}

export const messagesRoutes: FastifyPluginAsyncTypebox<Services> = async (app, { billing, forwarder, guard, route }) => {
  app.post('/v1/messages', { schema: { ...routeDocs.messages.schema, body: MessagesBody }, config: routeDocs.messages.config }, async (request, reply) => {
    const plan = await billing.admit(request, 'messages')
    const body = request.body
    const profile = { ...profileFromMessages(body), contentFlags: guard.contentFlags(body.messages) }
    const candidates = route(profile)
    const messages = [{ role: 'user', content: JSON.stringify(body.messages) }]
    if (body.stream !== true) {
      const completion = await billing.charged(request, plan, () => forwarder.complete(request, reply, candidates, { model: body.model, messages }))
      return {
        id: 'msg_demo',
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [{ type: 'text', text: completion.choices[0]?.message.content }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 5, output_tokens: 5 }
      }
    }
    const { stream } = await billing.chargedStream(request, plan, () => forwarder.stream(request, reply, candidates, { model: body.model, messages }))
    reply.hijack()
    // reply's own headers carry the request id the plugin set (x-request-id and request-id)
    reply.raw.writeHead(200, { ...reply.getHeaders() as OutgoingHttpHeaders, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    const event = (type: string, data: object) => reply.raw.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
    const start = { id: 'msg_demo', type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 0 } }
    event('message_start', { message: start })
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
  })
}
