'use strict'
// The example gateway in its own process for the load test: reports crashes, unhandled rejections
// and memory over IPC.
const { build } = require('../examples/dist/gateway/app')
const { startUpstreams } = require('../examples/dist/gateway/upstreams')

const counters = { unhandledRejections: 0, uncaughtExceptions: 0, gatewayErrors: 0 }
process.on('unhandledRejection', () => { counters.unhandledRejections++ })
process.on('uncaughtException', () => { counters.uncaughtExceptions++ })

async function main () {
  const upstreams = await startUpstreams()
  const app = build({ upstreamUrl: upstreams.url, upstreamTimeoutMs: 1000, rateLimitWindowMs: 1000, onGatewayError: () => { counters.gatewayErrors++ } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.on('message', (message) => {
    if (message === 'stats') {
      global.gc?.()
      process.send({ ...counters, rssMB: process.memoryUsage().rss / 2 ** 20, heapMB: process.memoryUsage().heapUsed / 2 ** 20 })
    }
  })
  process.on('disconnect', async () => { await app.close(); await upstreams.close(); process.exit(0) })
  process.send({ port: app.server.address().port })
}
main()
