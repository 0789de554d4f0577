// The example gateway's retries and fallbacks (examples/gateway/README.md, "Retries and fallbacks"):
// each curl line of the README, as sent, on the memory store.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { startGateway } from './gateway-harness'
import { validateBody } from '../helpers'

const readme = readFileSync(join(__dirname, '..', '..', 'examples', 'gateway', 'README.md'), 'utf8')
const section = readme.slice(readme.indexOf('## Retries and fallbacks'), readme.indexOf('## Every code'))
const models = [...section.matchAll(/"model":"(demo-[a-z-]+)"/g)].map((match) => match[1] as string)

t.test('the README\'s curl lines: retry, fallback, context-window fallback, all failed', async (t) => {
  t.same(models, ['demo-retry', 'demo-fallback', 'demo-context', 'demo-all-fail'], 'one line per behaviour')
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  const chat = (model: string) => fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-demo-full', 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Hello' }], model })
  })
  for (const model of ['demo-retry', 'demo-fallback', 'demo-context']) {
    const res = await chat(model)
    t.equal(res.status, 200, `${model}: served`)
    t.equal(res.headers.get('x-gateway-attempts'), '2', `${model}: two calls`)
    t.equal(res.headers.get('x-gateway-fallbacks'), model === 'demo-retry' ? '0' : '1', `${model}: fallbacks`)
  }
  const single = await chat('demo-chat')
  t.equal(single.headers.get('x-gateway-attempts'), null, 'one call: no attempt headers')

  const failed = await chat('demo-all-fail')
  const body = await failed.json() as { error: { code: string, details: { attempts: Array<{ provider: string, code: string, decision: string }> } } }
  t.equal(failed.status, 429)
  t.equal(body.error.code, 'rate_limit_exceeded', 'the provider fault with a stated wait')
  t.equal(failed.headers.get('retry-after-ms'), '100')
  t.match(body.error.details.attempts, [
    { provider: 'epsilon', code: 'upstream_error', decision: 'fell_back' },
    { provider: 'iota', code: 'rate_limit_exceeded', decision: 'retried' },
    { provider: 'iota', code: 'rate_limit_exceeded', decision: 'fell_back' }
  ])
  t.equal(validateBody('openai', 'rate_limit_exceeded', body), null, 'valid against the published schema')
  t.notMatch(JSON.stringify(body), /upstream-internal-trace|<html/, 'no provider body in the ledger')
})
