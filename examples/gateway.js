'use strict'
// `npm start`: the example gateway on http://127.0.0.1:3000 with its fake upstream providers.
const { build } = require('./gateway/app')
const { startUpstreams } = require('./gateway/upstreams')
const { gatewayLogSerializers } = require('fastify-gateway-errors')

async function main () {
  const upstreams = await startUpstreams()
  const app = build({ logger: { level: process.env.LOG_LEVEL ?? 'info', serializers: gatewayLogSerializers }, upstreamUrl: upstreams.url, upstreamTimeoutMs: 3000 })
  const port = Number(process.env.PORT ?? 3000)
  const address = await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' })
  app.log.info(`Example gateway at ${address}/v1 — docs at ${address}/docs — API keys: sk-demo-full (everything), sk-demo-readonly, sk-demo-free, sk-demo-expired, sk-demo-limited, sk-demo-broke, sk-demo-noquota`)
  const close = async () => { await app.close(); await upstreams.close(); process.exit(0) }
  process.once('SIGINT', close)
  process.once('SIGTERM', close)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
