// Runs a suite of example tests on the in-memory store, then on a real Redis (started once for the
// file, removed at its end; skipped with a comment where redis-server is missing outside CI).
import t from 'tap'
import { skipRedis, startRedisServer, type RedisServer } from './redis-server'

export type StoreKind = 'memory' | 'redis'

export function onBothStores (
  suite: (kind: StoreKind, redisUrl: () => string | undefined) => void,
  redisOnly?: (redis: () => RedisServer | undefined) => void
): void {
  let redis: RedisServer | undefined
  suite('memory', () => undefined)
  if (skipRedis !== false) {
    t.comment(`redis: skipped, ${skipRedis}`)
    return
  }
  t.before(async () => { redis = await startRedisServer() })
  t.teardown(async () => redis?.remove())
  suite('redis', () => redis?.url)
  redisOnly?.(() => redis)
}
