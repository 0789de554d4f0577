// The same hostile-input test, with the example gateway's state in Redis (a real redis-server).
import t from 'tap'
import { skipRedis } from './redis-server'

if (skipRedis !== false) t.plan(0, skipRedis)
else {
  process.env.GATEWAY_STORE = 'redis'
  require('./hostile.test')
}
