// Every sendable code through the official @anthropic-ai/sdk (1.x): the SDK sends
// anthropic-version, so the gateway answers in the Anthropic envelope on every route.
import Anthropic from '@anthropic-ai/sdk'
import t from 'tap'
import { anthropicType, catalog, sendableCodes, type GatewayErrorCode } from '../internals'
import { validateBody } from '../helpers'
import { requests, send, startGateway, type ExampleRequest } from './gateway-harness'

const CLASS_BY_STATUS: Record<number, unknown> = {
  400: Anthropic.BadRequestError,
  401: Anthropic.AuthenticationError,
  403: Anthropic.PermissionDeniedError,
  404: Anthropic.NotFoundError,
  409: Anthropic.ConflictError,
  413: Anthropic.ContentTooLargeError,
  429: Anthropic.RateLimitError,
  500: Anthropic.InternalServerError,
  502: Anthropic.InternalServerError,
  503: Anthropic.ServiceUnavailableError,
  504: Anthropic.GatewayTimeoutError
}

type SdkError = InstanceType<typeof Anthropic.APIError> & { errorCode: string | null, type: string | null }

async function viaSdk (client: Anthropic, request: ExampleRequest): Promise<unknown> {
  const body = request.raw ?? request.body
  const options = { headers: { ...request.headers, ...(request.raw === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body }) }
  switch (request.method) {
    case 'GET': return client.get(request.path, options)
    case 'DELETE': return client.delete(request.path, options)
    case 'PATCH': return client.patch(request.path, options)
    default: return client.post(request.path, options)
  }
}

t.test('@anthropic-ai/sdk: every sendable code', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  for (const code of sendableCodes) {
    const request = requests[code] as ExampleRequest
    const entry = catalog[code]
    for (const before of request.before ?? []) await send(gateway.url, { ...before, key: request.key, headers: { ...before.headers, 'idempotency-key': 'anthropic-idem' } })
    const client = new Anthropic({ apiKey: request.key ?? 'sk-demo-full', baseURL: gateway.url, maxRetries: 2, timeout: 10_000 })
    const attemptsBefore = gateway.attempts(code)
    const sent = code === 'idempotency_conflict' ? { ...request, headers: { ...request.headers, 'idempotency-key': 'anthropic-idem' } } : request
    const error = await viaSdk(client, sent).then(() => undefined, (e: unknown) => e) as SdkError | undefined
    t.ok(error instanceof Anthropic.APIError, `${code}: the SDK raises an APIError`)
    if (!(error instanceof Anthropic.APIError)) continue
    const expected = CLASS_BY_STATUS[entry.status] ?? Anthropic.APIError
    t.equal(error.constructor, expected, `${code}: ${(expected as { name: string }).name}`)
    t.equal(error.status, entry.status, `${code}: status`)
    t.equal(error.errorCode, code, `${code}: err.errorCode`)
    t.equal(error.type, anthropicType(entry), `${code}: err.type`)
    t.match(error.requestID, /^req_[0-9a-f]{32}$/, `${code}: err.requestID (the example's gatewayGenReqId)`)
    t.equal(validateBody('anthropic', code, error.error), null, `${code}: body valid against AnthropicError${entry.status}`)
    t.equal(gateway.attempts(code) - attemptsBefore, entry.retryable ? 3 : 1, `${code}: ${entry.retryable ? 'retried twice' : 'attempted once'}`)
  }
})

t.test('@anthropic-ai/sdk: POST /v1/messages', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  const client = new Anthropic({ apiKey: 'sk-demo-full', baseURL: gateway.url, maxRetries: 0 })
  const message = await client.messages.create({ model: 'demo-chat', max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] })
  t.match(message, { type: 'message', content: [{ type: 'text', text: 'Hello from the demo upstream.' }] })

  const cases: Array<[GatewayErrorCode, Parameters<typeof client.messages.create>[0]]> = [
    ['model_not_found', { model: 'demo-nope', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }],
    ['tools_not_supported', { model: 'demo-basic', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }], tools: [{ name: 'f', input_schema: { type: 'object' } }] }],
    ['reasoning_not_supported', { model: 'demo-basic', max_tokens: 2000, messages: [{ role: 'user', content: 'Hi' }], thinking: { type: 'enabled', budget_tokens: 1024 } }],
    ['context_length_exceeded', { model: 'demo-small', max_tokens: 10, messages: [{ role: 'user', content: 'long '.repeat(600) }] }],
    ['missing_required_parameter', { model: 'demo-chat', messages: [{ role: 'user', content: 'Hi' }] } as never]
  ]
  for (const [code, body] of cases) {
    const error = await client.messages.create(body).then(() => undefined, (e: unknown) => e) as SdkError
    t.equal(error?.errorCode, code, `${code}: err.errorCode`)
    t.equal(error?.status, catalog[code].status)
  }

  const stream = client.messages.stream({ model: 'demo-broken-stream', max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] })
  let text = ''
  stream.on('text', (delta) => { text += delta })
  const failure = await stream.finalMessage().then(() => undefined, (e: unknown) => e) as SdkError
  t.ok(text.startsWith('Hello'), 'the stream had started')
  t.ok(failure instanceof Anthropic.APIError, 'a Messages stream that fails midway raises APIError')
  t.equal(failure?.errorCode, 'upstream_error', 'with the catalog code in errorCode')
})
