'use strict'
// The success-path app the benchmarks measure: a POST with a body schema and a GET, each with a
// response schema; `plain` has no plugin, the other kinds the plugin with some options off.
const Fastify = require('fastify')

const chatBody = {
  type: 'object',
  required: ['model', 'messages'],
  properties: { model: { type: 'string' }, messages: { type: 'array' }, temperature: { type: 'number', maximum: 2 } }
}
const chatReply = {
  200: { type: 'object', properties: { id: { type: 'string' }, object: { type: 'string' }, model: { type: 'string' }, created: { type: 'integer' } } }
}
const variants = { plugin: {}, untracked: { trackDisconnects: false }, unstamped: { requestIdHeader: false } }

function successApp (kind) {
  const app = Fastify({ logger: false })
  if (kind !== 'plain') app.register(require('fastify-gateway-errors'), variants[kind])
  app.register(async (app) => {
    app.post('/v1/chat/completions', { schema: { body: chatBody, response: chatReply } }, async (request) => ({ id: 'chatcmpl-1', object: 'chat.completion', model: request.body.model, created: 1 }))
    app.get('/v1/models/:id', { schema: { response: chatReply } }, async (request) => ({ id: request.params.id, object: 'model', model: request.params.id, created: 1 }))
  })
  return app
}

module.exports = { successApp }
