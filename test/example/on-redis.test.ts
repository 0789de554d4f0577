// The example gateway's client suites once more, with its state in Redis (a real redis-server, one
// for this file): the same assertions on the other store. Skipped with a reason where redis-server
// is missing outside CI (see redis-server.ts); `npm run test:fast` leaves this file out.
import t from 'tap'
import { skipRedis } from './redis-server'

const suites = ['./conformance-openai.test', './conformance-anthropic.test', './conformance-langchain.test', './conformance-ai-sdk.test', '../reply/hostile.test']

if (skipRedis !== false) {
  t.plan(0, skipRedis)
} else {
  process.env.GATEWAY_STORE = 'redis' // read by startGateway (gateway-harness.ts)
  for (const suite of suites) require(suite)
}
