'use strict'
// One start-up measurement in a fresh process: ready() time and heap after GC, with or without the
// plugin, for a given route shape. `node bench/startup.js <plugin|ranges|plain> <body|response> <count>`
const Fastify = require('fastify')
const { gatewayErrors } = require('./apps')

const body = { type: 'object', required: ['model', 'messages'], properties: { model: { type: 'string' }, messages: { type: 'array' }, temperature: { type: 'number', maximum: 2 } } }
const response = { 200: { type: 'object', properties: { id: { type: 'string' }, object: { type: 'string' }, created: { type: 'integer' } } } }

function routes (app, shape, count) {
  for (let i = 0; i < count; i++) {
    if (shape === 'body') app.post(`/r${i}/:id`, { schema: { body, response } }, async (request) => ({ id: request.params.id, object: 'x', created: 1 }))
    else app.get(`/r${i}/:id`, { schema: { response } }, async (request) => ({ id: request.params.id, object: 'x', created: 1 }))
  }
}

async function main () {
  const [kind, shape = 'response', count = '1000'] = process.argv.slice(2)
  global.gc()
  const heapBefore = process.memoryUsage().heapUsed
  const start = process.hrtime.bigint()
  const app = Fastify({ logger: false })
  if (kind !== 'plain') app.register(gatewayErrors, kind === 'ranges' ? { routeSchemas: 'ranges' } : {})
  app.register(async (app) => { routes(app, shape, Number(count)) })
  await app.ready()
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  global.gc()
  const heap = process.memoryUsage().heapUsed - heapBefore
  const res = await app.inject(shape === 'body' ? { method: 'POST', url: '/r1/x', payload: { model: 'm', messages: [] } } : '/r1/x')
  if (res.statusCode !== 200) throw new Error(`route broken: ${res.statusCode}`)
  process.send({ ms, heap })
  await app.close()
}
main()
