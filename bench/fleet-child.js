'use strict'
// One instance of the example gateway for `npm run load` (bench/fleet.js): the Redis store, logs at
// warn on stdout (the parent counts them), crashes and unhandled rejections reported over IPC.
const { build } = require('../examples/dist/gateway/app')
const { createRedisStore } = require('../examples/dist/gateway/store/redis')
const { startUpstreams } = require('../examples/dist/gateway/upstreams')

const counters = { unhandledRejections: 0, uncaughtExceptions: 0 }
process.on('unhandledRejection', () => { counters.unhandledRejections++ })
process.on('uncaughtException', () => { counters.uncaughtExceptions++ })

async function main () {
  const upstreams = await startUpstreams()
  const store = await createRedisStore({ url: process.env.FLEET_REDIS_URL, prefix: 'fleet:' })
  const app = build({
    upstreamUrl: upstreams.url,
    upstreamTimeoutMs: 2000,
    store,
    logger: { level: 'warn' },
    failedLoginLimit: 1_000_000,
    rateLimitWindowMs: 1000,
    reservationLeaseMs: Number(process.env.FLEET_LEASE_MS ?? 3000)
  })
  await app.listen({ port: Number(process.env.FLEET_PORT ?? 0), host: '127.0.0.1' })
  process.on('message', (message) => { if (message === 'stats') process.send(counters) })
  process.on('disconnect', async () => { await app.close(); await upstreams.close(); process.exit(0) })
  process.send({ port: app.server.address().port })
}
main()
