// The AI SDK 7's Anthropic provider (@ai-sdk/anthropic 4) on the gateway's Messages route, and the
// compatibility docs' snippet, an ES module as AI SDK users write them (examples/clients/ai-sdk-errors.mts) run with every provider: the
// catalog code is found for errors before the first token, midway, and from generateText.
import { createAnthropic } from '@ai-sdk/anthropic'
import { createOpenAI } from '@ai-sdk/openai'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { APICallError, generateText, type LanguageModel } from 'ai'
import t from 'tap'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { catalog, type GatewayErrorCode } from '../internals'
import { startGateway } from './gateway-harness'
import { aiSdkRetries } from './clients/ai-sdk'

// The snippet is an ES module, as AI SDK users (ESM only) write it: loaded by a real import(), which
// TypeScript would turn into require() in this CommonJS test.
type Snippet = typeof import('../../examples/clients/ai-sdk-errors.mjs')
// eslint-disable-next-line no-new-func -- the one way to keep import() in CommonJS output
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Snippet>
const snippet = importModule(pathToFileURL(join(__dirname, '../../examples/clients/ai-sdk-errors.mts')).href)

// The SDK warns that it does not know the demo models' output limits: true, and not the point here.
;(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false

type Provider = (baseURL: string, apiKey: string, modelId: string) => LanguageModel
const providers: Record<string, Provider> = {
  '@ai-sdk/anthropic 4': (baseURL, apiKey, modelId) => createAnthropic({ baseURL, apiKey })(modelId),
  '@ai-sdk/openai 4 (.chat)': (baseURL, apiKey, modelId) => createOpenAI({ baseURL, apiKey }).chat(modelId),
  '@ai-sdk/openai-compatible 3': (baseURL, apiKey, modelId) => createOpenAICompatible({ name: 'demo', baseURL, apiKey }).chatModel(modelId)
}

t.test('@ai-sdk/anthropic 4 generateText: status, message, retries and the code', async (t) => {
  const { catalogCode } = await snippet
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  const cases: Array<[GatewayErrorCode, string, string, string]> = [
    ['invalid_api_key', 'sk-demo-nope', 'demo-chat', 'Hello'],
    ['insufficient_permissions', 'sk-demo-readonly', 'demo-chat', 'Hello'],
    ['budget_exhausted', 'sk-demo-broke', 'demo-chat', 'Hello'],
    ['insufficient_quota', 'sk-demo-limited', 'demo-chat', 'Hello'],
    ['model_not_found', 'sk-demo-full', 'demo-nope', 'Hello'],
    ['context_length_exceeded', 'sk-demo-full', 'demo-small', 'long '.repeat(600)],
    ['rate_limit_exceeded', 'sk-demo-full', 'demo-limited', 'Hello'],
    ['upstream_error', 'sk-demo-full', 'demo-flaky', 'Hello'],
    ['upstream_timeout', 'sk-demo-full', 'demo-slow', 'Hello'],
    ['model_unavailable', 'sk-demo-full', 'demo-maintenance', 'Hello'],
    ['no_provider_available', 'sk-demo-full', 'demo-down', 'Hello']
  ]
  for (const [code, key, modelId, prompt] of cases) {
    const before = gateway.attempts(code)
    const model = createAnthropic({ baseURL: `${gateway.url}/v1`, apiKey: key })(modelId)
    const error = await generateText({ model, prompt, maxRetries: 1, maxOutputTokens: 100 }).then(() => undefined, (e: unknown) => e)
    const last = (error as { lastError?: unknown })?.lastError ?? error
    t.ok(APICallError.isInstance(last), `${code}: APICallError`)
    if (!APICallError.isInstance(last)) continue
    t.equal(last.statusCode, catalog[code].status, `${code}: status`)
    t.ok(last.message.startsWith(catalog[code].message), `${code}: the catalog message`)
    t.equal(catalogCode(error), code, `${code}: catalogCode() finds it`)
    t.match(last.data, { error: { details: { error_code: code } } }, `${code}: err.data.error.details.error_code`)
    t.equal(gateway.attempts(code) - before, aiSdkRetries(catalog[code].status) ? 2 : 1, `${code}: attempts (maxRetries 1)`)
  }
})

for (const [name, provider] of Object.entries(providers)) {
  t.test(`${name}: the docs' streamWithCatalogCode`, async (t) => {
    const { streamWithCatalogCode } = await snippet
    const gateway = await startGateway()
    t.teardown(() => gateway.close())
    const model = (modelId: string, key = 'sk-demo-full') => provider(`${gateway.url}/v1`, key, modelId)

    t.same(await streamWithCatalogCode(model('demo-chat'), 'Hello'), { text: 'Hello from the demo upstream.' }, 'a healthy stream: the whole text, no failure')

    const midway = await streamWithCatalogCode(model('demo-broken-stream'), 'Hello')
    t.ok(midway.text.startsWith('Hello'), `midway: the partial text (${midway.text})`)
    t.equal(midway.failure?.code, 'upstream_error', 'midway: the catalog code of the stream\'s error event')

    for (const [code, modelId, key] of [['model_not_found', 'demo-nope', undefined], ['budget_exhausted', 'demo-chat', 'sk-demo-broke'], ['upstream_error', 'demo-flaky', undefined]] as const) {
      const early = await streamWithCatalogCode(model(modelId, key), 'Hello')
      t.equal(early.text, '', `${code} before the first token: no text`)
      t.equal(early.failure?.code, code, `${code} before the first token: the catalog code`)
    }
  })
}
