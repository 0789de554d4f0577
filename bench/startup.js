'use strict'
// One start-up measurement in a fresh process: ready() time and heap after GC, with or without the plugin.
const Fastify = require('fastify')
const { manyRoutes, gatewayErrors } = require('./apps')

async function main () {
  const kind = process.argv[2]
  const withPlugin = kind !== 'plain'
  global.gc()
  const heapBefore = process.memoryUsage().heapUsed
  const start = process.hrtime.bigint()
  const app = Fastify({ logger: false })
  if (withPlugin) app.register(gatewayErrors, kind === 'ranges' ? { routeSchemas: 'ranges' } : {})
  app.register(async (app) => { manyRoutes(app) })
  await app.ready()
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  global.gc()
  const heap = process.memoryUsage().heapUsed - heapBefore
  const res = await app.inject('/r1/x')
  if (res.statusCode !== 200) throw new Error('route broken')
  process.send({ ms, heap })
  await app.close()
}
main()
