// The Vercel AI SDK (ai 5 with @ai-sdk/openai-compatible 1): every code a chat completion can
// produce reaches the caller with its status and the catalog message; a failing stream surfaces
// the catalog code.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { APICallError, generateText, RetryError, streamText } from 'ai'
import t from 'tap'
import { catalog, sendableCodes } from './internals'
import { requests, startGateway, type ExampleRequest } from './gateway-harness'

/** The AI SDK decides retries by status alone (408, 409, 429, >= 500), ignoring x-should-retry. */
const aiSdkRetries = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500

function provider (url: string, request: ExampleRequest) {
  return createOpenAICompatible({
    name: 'demo',
    baseURL: `${url}/v1`,
    apiKey: request.key ?? 'sk-demo-full',
    // send the README's body as is, on top of what the SDK builds from the prompt
    transformRequestBody: (args) => {
      const body: Record<string, unknown> = { ...args, ...request.body }
      if (request.body?.model === undefined) delete body.model
      return body
    }
  })
}

t.test('AI SDK generateText: status and message reach the caller', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  const chatCodes = sendableCodes.filter((code) => {
    const request = requests[code] as ExampleRequest
    return request.path === '/v1/chat/completions' && request.method === 'POST' && request.raw === undefined && request.body?.stream !== true
  })
  t.ok(chatCodes.length >= 35, `${chatCodes.length} codes come from chat completions`)
  for (const code of chatCodes) {
    const request = requests[code] as ExampleRequest
    const entry = catalog[code]
    const before = gateway.attempts(code)
    const error = await generateText({ model: provider(gateway.url, request).chatModel(String(request.body?.model ?? 'demo-chat')), prompt: 'Hello', maxRetries: 1 })
      .then(() => undefined, (e: unknown) => e)
    const last = RetryError.isInstance(error) ? error.lastError : error
    t.ok(APICallError.isInstance(last), `${code}: APICallError`)
    if (!APICallError.isInstance(last)) continue
    t.equal(last.statusCode, entry.status, `${code}: status`)
    t.ok(last.message.startsWith(entry.message), `${code}: the catalog message (${last.message.slice(0, 60)})`)
    t.equal(JSON.parse(String(last.responseBody)).error.code, code, `${code}: the code in the body`)
    t.equal(last.isRetryable, aiSdkRetries(entry.status), `${code}: isRetryable by status`)
    t.equal(gateway.attempts(code) - before, aiSdkRetries(entry.status) ? 2 : 1, `${code}: attempts (maxRetries 1)`)
  }
})

t.test('AI SDK streamText: a stream that fails midway surfaces the catalog code', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  const demo = createOpenAICompatible({ name: 'demo', baseURL: `${gateway.url}/v1`, apiKey: 'sk-demo-full' })
  const result = streamText({ model: demo.chatModel('demo-broken-stream'), prompt: 'Hello', maxRetries: 0, onError: () => {} })
  let text = ''
  const errors: unknown[] = []
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') text += part.text
    if (part.type === 'error') errors.push(part.error)
  }
  t.ok(text.startsWith('Hello'), 'the stream had started')
  t.equal(errors.length, 1, 'one error part')
  t.match(JSON.stringify(errors[0]), 'upstream_error', 'carrying the catalog code')

  const failing = streamText({ model: demo.chatModel('demo-nope'), prompt: 'Hello', maxRetries: 0, onError: () => {} })
  const early: unknown[] = []
  for await (const part of failing.fullStream) if (part.type === 'error') early.push(part.error)
  t.ok(APICallError.isInstance(early[0]), 'an error before the stream starts is an APICallError')
  t.equal((early[0] as APICallError).statusCode, 404)
  t.match((early[0] as APICallError).message, 'Requested model ID isn’t in the catalog')
})
