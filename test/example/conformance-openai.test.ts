// The official openai SDK, today's major (7), against the example gateway (see clients/openai.ts);
// and every README request as curl sends it.
import OpenAI from 'openai'
import t from 'tap'
import { catalog, sendableCodes, type GatewayErrorCode } from '../internals'
import { requests, send, startGateway, type ExampleRequest } from './gateway-harness'
import { openaiConformance } from './clients/openai'

openaiConformance(OpenAI, '7')

t.test('the README requests over plain HTTP, as curl sends them', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  for (const code of sendableCodes) {
    const request = requests[code] as ExampleRequest
    for (const before of request.before ?? []) await send(gateway.url, { ...before, key: request.key })
    const res = await send(gateway.url, request)
    const body = await res.json() as { error: { code: GatewayErrorCode } }
    t.equal(res.status, catalog[code].status, `${code}: status`)
    t.equal(body.error.code, code, `${code}: code`)
  }
})
