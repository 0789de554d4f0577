// `npm start`: the example gateway on http://127.0.0.1:3000 with its fake upstream providers.
// REDIS_URL=redis://127.0.0.1:6379 keeps its state in Redis, so several instances (PORT=3001, …)
// share keys, budgets, quotas, idempotency keys and rate limits. OTEL_EXPORTER_OTLP_ENDPOINT (or
// GATEWAY_OTEL_CONSOLE=1) turns OpenTelemetry on: see gateway/telemetry.ts.
import { startTelemetry } from './gateway/telemetry'
// Telemetry first: its instrumentations patch http and Fastify as they load.
const stopTelemetry = startTelemetry()
import { gatewayLogSerializers } from 'fastify-gateway-errors'
import { build } from './gateway/app'
import { createRedisStore } from './gateway/store/redis'
import { startUpstreams } from './gateway/upstreams'

async function main () {
  const upstreams = await startUpstreams()
  const logger = { level: process.env.LOG_LEVEL ?? 'info', serializers: gatewayLogSerializers }
  const redisUrl = process.env.REDIS_URL
  let connectionErrors = 0
  const store = redisUrl === undefined
    ? undefined
    : await createRedisStore({ url: redisUrl, onConnectionError: (error) => { if (connectionErrors++ % 50 === 0) console.error(`Redis: ${error.message}`) } })
  const app = build({ logger, upstreamUrl: upstreams.url, upstreamTimeoutMs: 3000, store })
  const port = Number(process.env.PORT ?? 3000)
  const address = await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' })
  app.log.info(`Example gateway at ${address}/v1 (state: ${redisUrl === undefined ? 'in memory' : 'Redis'}) — docs at ${address}/docs — ` +
    'API keys: sk-demo-full, sk-demo-admin, sk-demo-readonly, sk-demo-free, sk-demo-expired, sk-demo-limited, sk-demo-broke, sk-demo-noquota')
  const close = async () => {
    await app.close()
    await upstreams.close()
    await stopTelemetry()
    process.exit(0)
  }
  process.once('SIGINT', close)
  process.once('SIGTERM', close)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
