'use strict'
// The apps the benchmarks compare. Each pair differs only in how the error reply is produced.
const Fastify = require('fastify')
const gatewayErrors = require('fastify-gateway-errors')
const { GatewayError, GatewayErrorSchemas, catalog } = gatewayErrors

const entry = catalog.model_not_found
function handWrittenBody (request) {
  return { error: { message: entry.message, type: entry.type, code: 'model_not_found', param: entry.param, request_id: request.id, retryable: entry.retryable } }
}
const { $id, ...schema404 } = GatewayErrorSchemas[404]
const handWrittenSchema = { schema: { response: { 404: schema404 } } }
const sendHandWritten = (request, reply) => reply.code(404).send(handWrittenBody(request))
const handWrittenRoute = ['/hand-written', handWrittenSchema, sendHandWritten]

const chatBody = {
  type: 'object',
  required: ['model', 'messages'],
  properties: { model: { type: 'string' }, messages: { type: 'array' }, temperature: { type: 'number', maximum: 2 } }
}

/** Routes for every comparison, in one app with the plugin. */
function pluginApp () {
  const app = Fastify({ logger: false })
  app.register(gatewayErrors)
  app.register(async (app) => {
    app.get(...handWrittenRoute)
    app.get('/gateway-error', (request, reply) => reply.gatewayError('model_not_found'))
    app.get('/thrown', async () => { throw new GatewayError('model_not_found') })
    app.post('/validation', { schema: { body: chatBody } }, async () => ({ ok: true }))
  })
  return app
}

/** The hand-written reply alone, in an app without the plugin. */
function handWrittenApp () {
  const app = Fastify({ logger: false })
  app.get(...handWrittenRoute)
  return app
}

/**
 * The least any thrown error costs in Fastify: an error created once, thrown from an async handler,
 * and an error handler that sends the hand-written reply.
 */
function thrownFloorApp () {
  const app = Fastify({ logger: false })
  const once = new Error('model_not_found')
  app.setErrorHandler((_error, request, reply) => sendHandWritten(request, reply))
  app.get('/thrown', handWrittenSchema, async () => { throw once })
  return app
}

/** The same validation route with Fastify's defaults, and @fastify/sensible's not-found helpers. */
function baselineApp () {
  const app = Fastify({ logger: false })
  app.register(require('@fastify/sensible'))
  app.register(async (app) => {
    app.get('/sensible-reply', (request, reply) => reply.notFound())
    app.get('/sensible-thrown', async () => { throw app.httpErrors.notFound() })
    app.post('/validation', { schema: { body: chatBody } }, async () => ({ ok: true }))
  })
  return app
}

/** 1,000 routes with a 200 schema, as a gateway with many endpoints would have. */
function manyRoutes (app, count = 1000) {
  const response = { 200: { type: 'object', properties: { id: { type: 'string' }, object: { type: 'string' }, created: { type: 'integer' } } } }
  for (let i = 0; i < count; i++) app.get(`/r${i}/:id`, { schema: { response } }, async (request) => ({ id: request.params.id, object: 'x', created: 1 }))
  return app
}

module.exports = { pluginApp, handWrittenApp, thrownFloorApp, baselineApp, manyRoutes, gatewayErrors }
