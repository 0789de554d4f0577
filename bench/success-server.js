'use strict'
// A child process serving the success-path app (`plain`: no plugin), reporting its own CPU time
// on request so the parent can divide by the requests it sent.
const Fastify = require('fastify')

const chatBody = {
  type: 'object',
  required: ['model', 'messages'],
  properties: { model: { type: 'string' }, messages: { type: 'array' }, temperature: { type: 'number', maximum: 2 } }
}
const chatReply = {
  200: { type: 'object', properties: { id: { type: 'string' }, object: { type: 'string' }, model: { type: 'string' }, created: { type: 'integer' } } }
}

const kind = process.argv[2]
const app = Fastify({ logger: false })
const variants = { plugin: {}, untracked: { trackDisconnects: false }, unstamped: { requestIdHeader: false }, bare: { trackDisconnects: false, requestIdHeader: false } }
if (kind !== 'plain') app.register(require('fastify-gateway-errors'), variants[kind])
app.register(async (app) => {
  app.post('/v1/chat/completions', { schema: { body: chatBody, response: chatReply } }, async (request) => ({ id: 'chatcmpl-1', object: 'chat.completion', model: request.body.model, created: 1 }))
  app.get('/v1/models/:id', { schema: { response: chatReply } }, async (request) => ({ id: request.params.id, object: 'model', model: request.params.id, created: 1 }))
})
app.listen({ port: 0, host: '127.0.0.1' }).then(() => process.send({ port: app.server.address().port }))
process.on('message', () => {
  const { user, system } = process.cpuUsage()
  process.send({ cpuMicros: user + system })
})
process.on('disconnect', () => app.close().then(() => process.exit(0)))
