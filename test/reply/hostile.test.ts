// Hostile requests against the example gateway, over real sockets: each gets the right catalog
// code, headers are never split, no secret is echoed.
import { connect } from 'node:net'
import t from 'tap'
import { catalog, isGatewayErrorCode } from '../internals'
import { validateBody } from '../helpers'
import { startGateway, type Gateway } from '../example/gateway-harness'

const KEY = 'sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa'

function raw (gateway: Gateway, request: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(gateway.url)
  return new Promise((resolve, reject) => {
    // written, not half-closed: an async handler's reply would not reach a half-closed socket
    const socket = connect(Number(port), hostname, () => socket.write(request))
    let data = ''
    socket.on('data', (chunk) => { data += chunk.toString('latin1') })
    socket.on('end', () => resolve(data))
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
  })
}

async function post (gateway: Gateway, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-demo-full', 'content-type': 'application/json', ...headers },
    body
  })
  return { status: res.status, headers: res.headers, body: await res.json() as { error: { code: string, message: string, param: string | null } } }
}

function expectCatalog (t: { equal: (...args: any[]) => unknown, ok: (...args: any[]) => unknown }, reply: { status: number, body: { error: { code: string } } }, code: string, label: string) {
  t.equal(reply.body.error.code, code, `${label}: ${code}`)
  t.equal(reply.status, catalog[code as keyof typeof catalog].status, `${label}: status`)
  t.ok(isGatewayErrorCode(reply.body.error.code) && validateBody('openai', reply.body.error.code, reply.body) === null, `${label}: valid body`)
}

t.test('hostile bodies', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  const messages = [{ role: 'user', content: 'hi' }]

  expectCatalog(t, await post(gateway, '{"model": "demo-chat", "messages": [{]}'), 'invalid_request', 'malformed JSON')
  expectCatalog(t, await post(gateway, '['.repeat(60_000) + ']'.repeat(60_000)), 'invalid_request', 'deeply nested JSON as the body')
  const deepContent = `{"model":"demo-chat","messages":[{"role":"user","content":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`
  expectCatalog(t, await post(gateway, deepContent), 'invalid_request', 'deeply nested content')
  expectCatalog(t, await post(gateway, Buffer.alloc(10 * 1024 * 1024, 'a')), 'payload_too_large', '10 MB body')
  expectCatalog(t, await post(gateway, 'model=demo-chat', { 'content-type': 'application/x-www-form-urlencoded' }), 'invalid_request', 'form body')
  expectCatalog(t, await post(gateway, 'hello', { 'content-type': 'text/plain' }), 'invalid_request', 'text body')
  expectCatalog(t, await post(gateway, '', {}), 'invalid_request', 'empty JSON body')
  const invalidUtf8 = Buffer.concat([Buffer.from('{"model":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`","messages":${JSON.stringify(messages)}}`)])
  expectCatalog(t, await post(gateway, invalidUtf8), 'model_not_found', 'invalid UTF-8 in a string')
  expectCatalog(t, await post(gateway, Buffer.from([0x7b, 0xff, 0x7d])), 'invalid_request', 'invalid UTF-8 outside strings')
  expectCatalog(t, await post(gateway, JSON.stringify({ model: 'demo-chat', messages, __proto__: { admin: true } }).replace('"messages"', '"__proto__":{"x":1},"messages"')), 'invalid_request', '__proto__ in the body')

  const echoed = await post(gateway, JSON.stringify({ model: KEY, messages }))
  expectCatalog(t, echoed, 'model_not_found', 'an API key as the model')
  t.notMatch(JSON.stringify(echoed.body), 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2', 'the key is not echoed')
  t.match(echoed.body.error.message, 'sk-…DcBa', 'only a masked hint')
  const field = await post(gateway, JSON.stringify({ model: 'demo-chat', messages, [KEY]: 1 }))
  expectCatalog(t, field, 'unknown_field', 'an API key as a field name')
  t.notMatch(JSON.stringify(field.body), 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2')
  const bearer = await post(gateway, JSON.stringify({ model: 'demo-chat', messages }), { authorization: `Bearer ${KEY}` })
  expectCatalog(t, bearer, 'invalid_api_key', 'an unknown long key')
  t.notMatch(JSON.stringify(bearer.body), 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2')
})

t.test('hostile headers: never split, never echoed raw', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  const { host } = new URL(gateway.url)
  const request = (headers: string) => `GET /v1/models/nope HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer sk-demo-full\r\n${headers}connection: close\r\n\r\n`

  const injected = await raw(gateway, request('x-request-id: abc\r\nSet-Cookie: hacked=1\r\n'))
  t.match(injected, /^HTTP\/1.1 404/, 'a second header line is just another request header')
  t.notMatch(injected.split('\r\n\r\n')[0] as string, /set-cookie/i, 'no Set-Cookie in the reply')

  const bareCr = await raw(gateway, request('x-request-id: abc\rSet-Cookie: hacked=1\r\n'))
  t.match(bareCr, /^HTTP\/1.1 400/, 'a CR inside a value is rejected by the parser…')
  t.match(bareCr, /"code":"invalid_request"/, '…with a catalog body')
  t.notMatch(bareCr, /set-cookie: hacked/i)

  const weird = await raw(gateway, request('x-request-id: ünï cødé; rm -rf\r\n'))
  const head = weird.split('\r\n\r\n')[0] as string
  t.match(head, /^HTTP\/1.1 404/)
  const id = /x-request-id: (.*)/i.exec(head)?.[1]
  t.match(id, /^[\x21-\x7e]+$/, `the echoed request id is cleaned (${id})`)

  const huge = await raw(gateway, request(`x-big: ${'a'.repeat(20_000)}\r\n`))
  t.match(huge, /^HTTP\/1.1 400/, 'oversized headers')
  t.match(huge, /"code":"invalid_request"/)

  for (const reply of [injected, weird]) {
    for (const line of (reply.split('\r\n\r\n')[0] as string).split('\r\n')) t.notMatch(line, /[\r\n]/)
  }
})

t.test('model ids that name what every object has are unknown models', async (t) => {
  const gateway = await startGateway()
  t.teardown(() => gateway.close())
  for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const response = await fetch(`${gateway.url}/v1/models/${id}`, { headers: { authorization: 'Bearer sk-demo-full' } })
    t.equal(response.status, 404, `${id}: 404`)
    t.equal(((await response.json()) as { error: { code: string } }).error.code, 'model_not_found')
  }
})

t.test('idempotency records: scoped to the project, bounded keys, expiring, a bounded store', async (t) => {
  const gateway = await startGateway({ idempotencyTtlMs: 200, idempotencyMaxEntries: 3 })
  t.teardown(() => gateway.close())
  const create = (key: string, id: string, idempotencyKey: string) => fetch(`${gateway.url}/v1/projects`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify({ id, name: id })
  })
  t.equal((await create('sk-demo-admin', 'proj-idem-a', 'shared-key')).status, 201)
  const other = await create('sk-demo-broke-admin', 'proj-idem-b', 'shared-key')
  t.equal(other.status, 201, 'another project\'s same key is its own request')
  t.equal(((await other.json()) as { id: string }).id, 'proj-idem-b', 'not the first project\'s reply')
  const conflict = await create('sk-demo-admin', 'proj-idem-c', 'shared-key')
  t.equal(((await conflict.json()) as { error: { code: string } }).error.code, 'idempotency_conflict', 'within a project, a reused key still conflicts')
  const long = await create('sk-demo-admin', 'proj-idem-d', 'k'.repeat(256))
  t.equal(long.status, 400)
  const refused = ((await long.json()) as { error: { code: string, param: string } }).error
  t.equal(refused.code, 'invalid_parameter_value', 'a key over 255 characters is refused')
  t.equal(refused.param, 'Idempotency-Key')
  await new Promise((resolve) => setTimeout(resolve, 250))
  t.equal((await create('sk-demo-admin', 'proj-idem-e', 'shared-key')).status, 201, 'an expired record is forgotten')
  for (const key of ['k1', 'k2', 'k3', 'k4']) await create('sk-demo-admin', `proj-idem-${key}`, key)
  // In Redis, records expire by TTL; the store's bound is Redis's maxmemory policy.
  if (process.env.GATEWAY_STORE === 'redis') return
  t.equal((await create('sk-demo-admin', 'proj-idem-other', 'k1')).status, 201, 'the oldest record went when the store was full')
  t.equal(((await (await create('sk-demo-admin', 'proj-idem-other2', 'k4')).json()) as { error: { code: string } }).error.code, 'idempotency_conflict', 'the newest is kept')
})

t.test('failed logins are limited per address: past the limit, even a good key waits', async (t) => {
  const gateway = await startGateway({ failedLoginLimit: 5, failedLoginWindowMs: 400 })
  t.teardown(() => gateway.close())
  const get = (key: string) => fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
  for (let i = 0; i < 5; i++) t.equal((await get(`sk-guess-${String(i).padStart(8, '0')}`)).status, 401, `guess ${i + 1}: 401`)
  const limited = await get('sk-guess-99999999')
  t.equal(limited.status, 429, 'the sixth guess waits')
  t.equal(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded')
  t.ok(Number(limited.headers.get('retry-after-ms')) > 0 && Number(limited.headers.get('retry-after-ms')) <= 400, 'with the wait')
  t.equal((await get('sk-demo-full')).status, 429, 'so does a good key from that address')
  await new Promise((resolve) => setTimeout(resolve, 450))
  t.equal((await get('sk-demo-full')).status, 200, 'after the window, a good key is served')
})
