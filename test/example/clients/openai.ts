// Every sendable code through the official openai SDK against the example gateway: the class
// its status calls for, the catalog code in err.code, err.param where a field is at fault, and
// retries for exactly the retryable codes (counted at the gateway). Run with each major users are on.
import type OpenAIClass from 'openai'
import t from 'tap'
import { catalog, sendableCodes } from '../../internals'
import { requests, send, startGateway, type ExampleRequest } from '../gateway-harness'

type OpenAI = OpenAIClass

export function openaiConformance (OpenAI: typeof OpenAIClass, major: string): void {
  const CLASS_BY_STATUS: Record<number, unknown> = {
    400: OpenAI.BadRequestError,
    401: OpenAI.AuthenticationError,
    403: OpenAI.PermissionDeniedError,
    404: OpenAI.NotFoundError,
    409: OpenAI.ConflictError,
    422: OpenAI.UnprocessableEntityError,
    429: OpenAI.RateLimitError
  }
  const FIELD_CODES = new Set(['missing_required_parameter', 'invalid_parameter_value', 'unknown_field', 'field_immutable'])

  function expectedClass (status: number): unknown {
    return CLASS_BY_STATUS[status] ?? (status >= 500 ? OpenAI.InternalServerError : OpenAI.APIError)
  }

  async function viaSdk (client: OpenAI, request: ExampleRequest): Promise<unknown> {
    const path = request.path.replace(/^\/v1/, '')
    const headers = request.headers
    if (request.path === '/v1/chat/completions' && request.method === 'POST' && request.raw === undefined && request.body?.model !== undefined) {
      return client.chat.completions.create(request.body as never, { headers })
    }
    const body = request.raw ?? request.body
    const options = { headers: { ...headers, ...(request.raw === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body }) }
    switch (request.method) {
      case 'GET': return client.get(path, options)
      case 'DELETE': return client.delete(path, options)
      case 'PATCH': return client.patch(path, options)
      default: return client.post(path, options)
    }
  }

  t.test(`openai ${major}: every sendable code`, async (t) => {
    const gateway = await startGateway()
    t.teardown(() => gateway.close())
    t.equal(Object.keys(requests).length, sendableCodes.length, 'a README request for every sendable code')
    for (const code of sendableCodes) {
      const request = requests[code] as ExampleRequest
      const entry = catalog[code]
      for (const before of request.before ?? []) await send(gateway.url, { ...before, key: request.key })
      const client = new OpenAI({ apiKey: request.key ?? 'sk-demo-full', baseURL: `${gateway.url}/v1`, maxRetries: 2, timeout: 10_000 })
      const attemptsBefore = gateway.attempts(code)
      const error = await viaSdk(client, request).then(() => undefined, (e: unknown) => e) as InstanceType<typeof OpenAI.APIError> | undefined
      t.ok(error instanceof OpenAI.APIError, `${code}: the SDK raises an APIError`)
      if (!(error instanceof OpenAI.APIError)) continue
      t.equal(error.constructor, expectedClass(entry.status), `${code}: ${(expectedClass(entry.status) as { name: string }).name}`)
      t.equal(error.status, entry.status, `${code}: status ${entry.status}`)
      t.equal(error.code, code, `${code}: err.code`)
      t.equal(error.type, entry.type, `${code}: err.type`)
      t.match(error.requestID, /^req_[0-9a-f]{32}$/, `${code}: err.requestID (the example's gatewayGenReqId)`)
      if (entry.param !== null || FIELD_CODES.has(code)) t.ok(typeof error.param === 'string' && error.param.length > 0, `${code}: err.param names the field (${error.param})`)
      t.equal(gateway.attempts(code) - attemptsBefore, entry.retryable ? 3 : 1, `${code}: ${entry.retryable ? 'retried twice' : 'attempted once'}`)
      t.notMatch(error.message, /sk-demo-[a-z]{6,}/, `${code}: no API key echoed`)
    }
  })

  t.test(`openai ${major}: a stream that fails midway raises APIError with the catalog code`, async (t) => {
    const gateway = await startGateway()
    t.teardown(() => gateway.close())
    const client = new OpenAI({ apiKey: 'sk-demo-full', baseURL: `${gateway.url}/v1`, maxRetries: 0 })
    const stream = await client.chat.completions.create({ model: 'demo-broken-stream', messages: [{ role: 'user', content: 'Hello' }], stream: true })
    const received: string[] = []
    const error = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta?.content ?? '')
    })().then(() => undefined, (e: unknown) => e)
    t.ok(received.join('').startsWith('Hello'), 'the stream had started')
    t.ok(error instanceof OpenAI.APIError, 'APIError')
    t.equal((error as InstanceType<typeof OpenAI.APIError>).code, 'upstream_error')

    const ok = await client.chat.completions.create({ model: 'demo-chat', messages: [{ role: 'user', content: 'Hello' }], stream: true })
    let text = ''
    for await (const chunk of ok) text += chunk.choices[0]?.delta?.content ?? ''
    t.equal(text, 'Hello from the demo upstream.', 'a healthy stream is untouched')
  })

  t.test(`openai ${major}: retry signals are obeyed`, async (t) => {
    const gateway = await startGateway({ rateLimitWindowMs: 200 })
    t.teardown(() => gateway.close())
    const chat = (key: string, model = 'demo-chat') => new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 2 })
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello' }] }).catch((e: unknown) => e)
    for (const [key, code] of [['sk-demo-broke', 'budget_exhausted'], ['sk-demo-noquota', 'insufficient_quota'], ['sk-demo-limited', 'insufficient_quota']] as const) {
      const before = gateway.attempts(code)
      const started = Date.now()
      const error = await chat(key) as InstanceType<typeof OpenAI.APIError>
      t.equal(error.status, 429)
      t.equal(error.code, code, `${key}: ${code}${key === 'sk-demo-limited' ? ' (a limit of zero: no wait cures it)' : ''}`)
      t.equal(gateway.attempts(code) - before, 1, `${code}: a 429 attempted once (x-should-retry: false)`)
      t.ok(Date.now() - started < 1000, `${key}: answered at once, no wait slept`)
    }
    const started = Date.now()
    const error = await chat('sk-demo-full', 'demo-limited') as InstanceType<typeof OpenAI.APIError>
    const elapsed = Date.now() - started
    t.equal(error.code, 'rate_limit_exceeded')
    const limited = gateway.events.filter((event) => event.code === 'rate_limit_exceeded')
    t.equal(limited.length, 3, 'a provider\'s rate limit: retried twice')
    t.ok(elapsed < 1000, `waits follow retry-after-ms (100 ms each), not the SDK's backoff (≥ 1,125 ms for two retries): ${elapsed} ms`)
  })
}
