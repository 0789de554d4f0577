// The Vercel AI SDK against the example gateway, for each major and provider users are on: every
// code a chat completion can produce reaches the caller with its status and the catalog message, is
// retried by status (the SDK's rule), and a failing stream surfaces the catalog code.
import type * as Ai from 'ai'
import t from 'tap'
import { startGateway } from '../gateway-harness'
import { eachChatCode, withBody } from './readme-body'

/** The AI SDK decides retries by status alone (408, 409, 429, >= 500), ignoring x-should-retry. */
export const aiSdkRetries = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500

export type AiModule = Pick<typeof Ai, 'APICallError' | 'RetryError' | 'generateText' | 'streamText'>

/** Builds a chat model of one provider, pointed at the gateway; `fetch` adds the README body's fields. */
export type ModelFactory = (options: { baseURL: string, apiKey: string, fetch: typeof fetch }, modelId: string) => Ai.LanguageModel

export function aiSdkConformance (ai: AiModule, model: ModelFactory, label: string): void {
  const { APICallError, RetryError, generateText, streamText } = ai

  t.test(`${label} generateText: status and message reach the caller`, async (t) => {
    const gateway = await startGateway()
    t.teardown(() => gateway.close())
    await eachChatCode(t, gateway, async (code, request, entry, before) => {
      const modelId = String(request.body?.model ?? 'demo-chat')
      const chat = model({ baseURL: `${gateway.url}/v1`, apiKey: request.key ?? 'sk-demo-full', fetch: withBody(request.body) }, modelId)
      const error = await generateText({ model: chat, prompt: 'Hello', maxRetries: 1 }).then(() => undefined, (e: unknown) => e)
      const last = RetryError.isInstance(error) ? error.lastError : error
      t.ok(APICallError.isInstance(last), `${code}: APICallError`)
      if (!APICallError.isInstance(last)) return
      t.equal(last.statusCode, entry.status, `${code}: status`)
      t.ok(last.message.startsWith(entry.message), `${code}: the catalog message (${last.message.slice(0, 60)})`)
      t.equal(JSON.parse(String(last.responseBody)).error.code, code, `${code}: the code in the body`)
      t.equal(last.isRetryable, aiSdkRetries(entry.status), `${code}: isRetryable by status`)
      t.equal(gateway.attempts(code) - before, aiSdkRetries(entry.status) ? 2 : 1, `${code}: attempts (maxRetries 1)`)
    })
  })

  t.test(`${label} streamText: errors before and after the first token carry the catalog code`, async (t) => {
    const gateway = await startGateway()
    t.teardown(() => gateway.close())
    const chat = (modelId: string) => model({ baseURL: `${gateway.url}/v1`, apiKey: 'sk-demo-full', fetch }, modelId)
    const result = streamText({ model: chat('demo-broken-stream'), prompt: 'Hello', maxRetries: 0, onError: () => {} })
    let text = ''
    const errors: unknown[] = []
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') text += (part as { text?: string, textDelta?: string }).text ?? ''
      if (part.type === 'error') errors.push(part.error)
    }
    t.ok(text.startsWith('Hello'), 'the stream had started')
    t.equal(errors.length, 1, 'one error part')
    t.match(JSON.stringify(errors[0]), 'upstream_error', 'carrying the catalog code')
    t.equal(await result.finishReason, 'error', 'finishReason: error, not a silent success')

    const failing = streamText({ model: chat('demo-nope'), prompt: 'Hello', maxRetries: 0, onError: () => {} })
    const early: unknown[] = []
    for await (const part of failing.fullStream) if (part.type === 'error') early.push(part.error)
    t.ok(APICallError.isInstance(early[0]), 'an error before the stream starts is an APICallError')
    t.equal((early[0] as Ai.APICallError).statusCode, 404)
    t.match((early[0] as Ai.APICallError).message, 'Requested model ID isn’t in the catalog')
  })
}
