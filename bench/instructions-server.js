'use strict'
// The success-path app for bench/instructions.js, run under callgrind: prints its port.
const Fastify = require('fastify')

const chatBody = {
  type: 'object',
  required: ['model', 'messages'],
  properties: { model: { type: 'string' }, messages: { type: 'array' }, temperature: { type: 'number', maximum: 2 } }
}
const chatReply = {
  200: { type: 'object', properties: { id: { type: 'string' }, object: { type: 'string' }, model: { type: 'string' }, created: { type: 'integer' } } }
}
const variants = { plugin: {}, untracked: { trackDisconnects: false }, unstamped: { requestIdHeader: false }, bare: { trackDisconnects: false, requestIdHeader: false } }

const kind = process.argv[2]
const app = Fastify({ logger: false })
if (kind !== 'plain') app.register(require('fastify-gateway-errors'), variants[kind])
app.register(async (app) => {
  app.post('/v1/chat/completions', { schema: { body: chatBody, response: chatReply } }, async (request) => ({ id: 'chatcmpl-1', object: 'chat.completion', model: request.body.model, created: 1 }))
  app.get('/v1/models/:id', { schema: { response: chatReply } }, async (request) => ({ id: request.params.id, object: 'model', model: request.params.id, created: 1 }))
})
app.listen({ port: 0, host: '127.0.0.1' }).then(() => console.log(`PORT ${app.server.address().port}`))
process.on('SIGTERM', () => process.exit(0))
