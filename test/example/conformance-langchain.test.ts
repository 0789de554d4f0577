// LangChain JS against the example gateway: ChatOpenAI and ChatAnthropic, invoke and stream, every
// code the chat route produces. What LangChain makes of each (its error name, lc_error_code), whether
// it retries (counted at the gateway) and where the catalog code is found are checked against the
// rules in scripts/tables/langchain.js, the same rules the README's table is generated from.
import { ChatAnthropic } from '@langchain/anthropic'
import { getRetryable } from '@langchain/core/errors'
import { ChatOpenAI } from '@langchain/openai'
import Fastify from 'fastify'
import t from 'tap'
import type { AddressInfo } from 'node:net'
import gatewayErrors, { catalog, sendableCodes, type GatewayErrorCode } from '../internals'
import { requests, send, startGateway, type ExampleRequest, type Gateway } from './gateway-harness'

const { langchainRule } = require('../../scripts/tables/langchain')
const { gatewayRetryPolicy } = require('../../examples/clients/langchain-retry')

type Client = 'openai' | 'anthropic'
type Mode = 'invoke' | 'stream'
type ChatModel = ChatOpenAI | ChatAnthropic
interface LangChainError extends Error {
  lc_error_code?: string
  code?: string
  status?: number
  error?: { error?: { details?: { error_code?: string } } }
  cause?: LangChainError
}

/** Chat Completions fields the Messages API has no place for: such requests are ChatOpenAI's only. */
const OPENAI_ONLY = ['response_format', 'modalities', 'logprobs', 'tool_choice', 'temprature']

const chatCodes = sendableCodes.filter((code) => {
  const request = requests[code] as ExampleRequest
  return request.method === 'POST' && request.path === '/v1/chat/completions' && request.raw === undefined
})

function modelFor (client: Client, gateway: Gateway, request: ExampleRequest, extra: Record<string, unknown> = {}): ChatModel | undefined {
  const { model, messages: _messages, stream: _stream, ...fields } = request.body as Record<string, unknown>
  const apiKey = request.key ?? 'sk-demo-full'
  const common = { apiKey, maxRetries: 1, ...extra }
  if (client === 'openai') {
    return new ChatOpenAI({ model: model as string, configuration: { baseURL: `${gateway.url}/v1` }, modelKwargs: model === undefined ? { ...fields, model: undefined } : fields, ...common })
  }
  if (Object.keys(fields).some((field) => OPENAI_ONLY.includes(field))) return undefined
  const { reasoning_effort: effort, temperature, ...rest } = fields
  const thinking = effort === undefined ? undefined : effort === 'none' ? { type: 'disabled' } : { type: 'enabled', budget_tokens: 1024 }
  return new ChatAnthropic({
    model: model as string,
    anthropicApiUrl: gateway.url,
    maxTokens: 2048,
    ...(temperature === undefined ? {} : { temperature: temperature as number }),
    invocationKwargs: { ...rest, ...(thinking === undefined ? {} : { thinking }), ...(model === undefined ? { model: undefined } : {}) },
    ...common
  })
}

async function call (model: ChatModel, request: ExampleRequest, mode: Mode): Promise<LangChainError | undefined> {
  const messages = (request.body as { messages: never }).messages
  try {
    if (mode === 'invoke') await model.invoke(messages)
    else {
      const chunks: unknown[] = []
      for await (const chunk of await model.stream(messages)) chunks.push(chunk)
    }
  } catch (error) {
    return error as LangChainError
  }
  return undefined
}

/** Where a user finds the catalog code: on the SDK's error, or on its `cause` when LangChain wrapped it. */
function catalogCodeOf (client: Client, error: LangChainError): string | undefined {
  const sdkError = error.cause ?? error
  return client === 'openai' ? sdkError.code : sdkError.error?.error?.details?.error_code
}

/** A mode that does not produce the code: the plain request, sent that way, succeeds. */
async function modeDoesNotProduce (gateway: Gateway, request: ExampleRequest, mode: Mode): Promise<boolean> {
  const response = await send(gateway.url, { ...request, body: { ...request.body, stream: mode === 'stream' } })
  await response.arrayBuffer()
  return response.ok
}

interface Observed { code: GatewayErrorCode, error: LangChainError | undefined, attempts: number, modeDoesNotProduce: boolean }

/** One client and mode through every chat code, on a gateway of its own (the four run at once). */
async function observe (client: Client, mode: Mode): Promise<Observed[]> {
  const gateway = await startGateway()
  try {
    const observed: Observed[] = []
    for (const code of chatCodes) {
      const request = requests[code] as ExampleRequest
      const model = modelFor(client, gateway, request)
      if (model === undefined) continue
      if ((request.body as { stream?: boolean }).stream === true && mode === 'invoke') continue
      const attemptsBefore = gateway.attempts(code)
      const error = await call(model, request, mode)
      const attempts = gateway.attempts(code) - attemptsBefore
      observed.push({ code, error, attempts, modeDoesNotProduce: error === undefined && await modeDoesNotProduce(gateway, request, mode) })
    }
    return observed
  } finally {
    await gateway.close()
  }
}

t.test('LangChain: every chat code, ChatOpenAI and ChatAnthropic, invoke and stream', async (t) => {
  const runs = (['openai', 'anthropic'] as const).flatMap((client) => (['invoke', 'stream'] as const).map((mode) => ({ client, mode })))
  const results = await Promise.all(runs.map(async ({ client, mode }) => ({ client, mode, observed: await observe(client, mode) })))
  for (const { client, mode, observed } of results) {
    t.test(`${client === 'openai' ? 'ChatOpenAI' : 'ChatAnthropic'} ${mode}`, async (t) => {
      let checked = 0
      for (const { code, error, attempts, modeDoesNotProduce } of observed) {
        if (error === undefined) {
          t.ok(modeDoesNotProduce, `${code}: no error only where the gateway answers this mode with success`)
          continue
        }
        checked++
        const rule = langchainRule(code, catalog[code])
        const expected = rule[client]
        const name = error.name !== 'Error' ? error.name : error.constructor.name
        t.equal(name, expected.error, `${code}: ${expected.error}`)
        t.equal(error.lc_error_code, expected.lc, `${code}: lc_error_code ${expected.lc}`)
        t.equal(attempts, rule.retried ? 2 : 1, `${code}: ${rule.retried ? 'retried' : 'not retried'}`)
        if (!rule.retried) t.not(getRetryable(error), true, `${code}: not marked retryable`)
        t.equal(catalogCodeOf(client, error), code, `${code}: the catalog code is reachable from the error`)
        t.notMatch(error.message, /sk-demo-[a-z]{6,}/, `${code}: no API key echoed`)
      }
      // ChatAnthropic goes to /v1/messages, which has no place for Chat Completions' own fields.
      t.ok(checked >= (client === 'openai' ? chatCodes.length - 1 : chatCodes.length - 8), `${checked} of ${chatCodes.length} chat codes checked`)
    })
  }
})

t.test('gatewayRetryPolicy: LangChain retries what the gateway says is worth retrying, and nothing else', async (t) => {
  const app = Fastify()
  let calls = 0
  await app.register(gatewayErrors)
  app.post('/v1/chat/completions', async () => { calls++; throw new Error('a bug') })
  app.post('/v1/messages', async () => { calls++; throw new Error('a bug') })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const request = { method: 'POST', path: '/v1/chat/completions', note: '', body: { model: 'demo-chat', messages: [{ role: 'user', content: 'Hello' }] } }
  for (const client of ['openai', 'anthropic'] as const) {
    const gateway = { url, events: [], attempts: () => 0, close: async () => {} }
    calls = 0
    const byStatus = await call(modelFor(client, gateway, request) as ChatModel, request, 'invoke')
    t.equal(byStatus?.status, 500, `${client}: internal_error`)
    t.equal(calls, 2, `${client}: LangChain alone retries a 500 the gateway marks x-should-retry: false`)
    calls = 0
    await call(modelFor(client, gateway, request, { onFailedAttempt: gatewayRetryPolicy }) as ChatModel, request, 'invoke')
    t.equal(calls, 1, `${client}: with gatewayRetryPolicy it is not retried`)
  }
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  const flaky = requests.upstream_error as ExampleRequest
  await call(modelFor('openai', gateway, flaky, { onFailedAttempt: gatewayRetryPolicy }) as ChatModel, flaky, 'invoke')
  t.equal(gateway.attempts('upstream_error'), 2, 'a retryable code is still retried')
})

t.test('every code has a LangChain rule', async (t) => {
  for (const code of sendableCodes) t.ok(langchainRule(code as GatewayErrorCode, catalog[code]), code)
})
