// The OpenAI Agents SDK (@openai/agents, on the openai SDK 7) running an agent on the gateway's chat
// completions: every chat code stops the run with the openai SDK's class for its status and the catalog
// code in err.code, retried exactly when x-should-retry says so; a stream failing midway raises the code.
import { Agent, OpenAIChatCompletionsModel, run, setTracingDisabled } from '@openai/agents'
import OpenAI from 'openai'
import t from 'tap'
import { startGateway } from './gateway-harness'
import { eachChatCode, withBody } from './clients/readme-body'

setTracingDisabled(true) // traces would go to OpenAI's servers

function agentOn (url: string, key: string, model: string, body?: Record<string, unknown>): Agent {
  const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 2, timeout: 10_000, fetch: withBody(body) })
  return new Agent({ name: 'assistant', instructions: 'Answer briefly.', model: new OpenAIChatCompletionsModel(client, model) })
}

t.test('@openai/agents: every chat code ends the run with the catalog code', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  await eachChatCode(t, gateway, async (code, request, entry, before) => {
    const agent = agentOn(gateway.url, request.key ?? 'sk-demo-full', String(request.body?.model ?? 'demo-chat'), request.body)
    const error = await run(agent, 'Hello').then(() => undefined, (e: unknown) => e)
    t.ok(error instanceof OpenAI.APIError, `${code}: the openai SDK's APIError`)
    if (!(error instanceof OpenAI.APIError)) return
    t.equal(error.status, entry.status, `${code}: status`)
    t.equal(error.code, code, `${code}: err.code`)
    t.equal(gateway.attempts(code) - before, entry.retryable ? 3 : 1, `${code}: ${entry.retryable ? 'retried twice' : 'attempted once'}`)
  })
})

t.test('@openai/agents: a healthy run, and a streamed run that fails midway', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  const ok = await run(agentOn(gateway.url, 'sk-demo-full', 'demo-chat'), 'Hello')
  t.equal(ok.finalOutput, 'Hello from the demo upstream.')

  const streamed = await run(agentOn(gateway.url, 'sk-demo-full', 'demo-broken-stream'), 'Hello', { stream: true })
  let text = ''
  const error = await (async () => { for await (const delta of streamed.toTextStream()) text += delta })().then(() => undefined, (e: unknown) => e)
  t.ok(text.startsWith('Hello'), `the stream had started (${text})`)
  t.ok(error instanceof OpenAI.APIError, 'APIError, not a silent end')
  t.equal((error as InstanceType<typeof OpenAI.APIError>).code, 'upstream_error', 'with the catalog code')
})
