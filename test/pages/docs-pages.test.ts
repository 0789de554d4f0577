// Every error links to its page (docsUrl, docsRoute), and the plugin serves the reference: a list
// and a page per code, HTML and JSON, generated from the catalog.
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import t from 'tap'
import type { AddressInfo } from 'node:net'
import { catalog, codes, sendableCodes, type GatewayErrorCode } from '../internals'
import { buildApp, validateBody } from '../helpers'

t.test('docsUrl: the link in each envelope, for replies with and without details', async (t) => {
  const app = await buildApp({ docsUrl: 'https://docs.example.com/errors', negotiate: true }, (app) => {
    app.get('/plain', async (_request, reply) => reply.gatewayError('model_not_found'))
    app.get('/detailed', async (_request, reply) => reply.gatewayError('model_not_found', { model: 'gpt-9' }))
    app.get('/messages', { config: { gatewayErrors: { envelope: 'anthropic' } } }, async (_request, reply) => reply.gatewayError('rate_limit_exceeded', { retry_after_ms: 1000 }))
  })
  t.teardown(() => app.close())
  const page = 'https://docs.example.com/errors/model_not_found'
  for (const url of ['/plain', '/detailed']) {
    const openai = (await app.inject(url)).json()
    t.equal(openai.error.doc_url, page, `${url}: error.doc_url`)
    t.equal(validateBody('openai', 'model_not_found', openai), null)
    const problem = (await app.inject({ url, headers: { accept: 'application/problem+json' } })).json()
    t.equal(problem.type, page, `${url}: the problem's type dereferences to the page`)
    t.equal(validateBody('problem', 'model_not_found', problem), null)
  }
  const anthropic = (await app.inject('/messages')).json()
  t.equal(anthropic.error.details.doc_url, 'https://docs.example.com/errors/rate_limit_exceeded')
  t.equal(validateBody('anthropic', 'rate_limit_exceeded', anthropic), null)

  const plain = await buildApp({ negotiate: true }, (app) => { app.get('/a', async (_request, reply) => reply.gatewayError('model_not_found')) })
  t.teardown(() => plain.close())
  const without = (await plain.inject('/a')).json()
  t.notOk('doc_url' in without.error, 'without docsUrl nothing changes')
  t.equal((await plain.inject({ url: '/a', headers: { accept: 'application/problem+json' } })).json().type, 'urn:gateway-error:model_not_found')
})

t.test('docsRoute: a page per code, HTML and JSON, with valid links; doc_url points there', async (t) => {
  const app = await buildApp({ docsRoute: '/errors' }, (app) => {
    app.get('/a', async (_request, reply) => reply.gatewayError('model_not_found'))
  })
  t.teardown(() => app.close())
  t.equal((await app.inject('/a')).json().error.doc_url, '/errors/model_not_found')

  const index = await app.inject('/errors')
  t.equal(index.statusCode, 200)
  t.match(index.headers['content-type'], /^text\/html/)
  const links = [...index.body.matchAll(/href="([^"]+)"/g)].map((match) => match[1] as string)
  t.same(links, codes.map((code) => `/errors/${code}`), 'the list links to a page for every code, in catalog order')
  const list = (await app.inject({ url: '/errors', headers: { accept: 'application/json' } })).json()
  t.same(list.data.map((item: { code: string }) => item.code), codes)

  for (const code of codes) {
    const entry = catalog[code]
    const html = await app.inject(`/errors/${code}`)
    t.equal(html.statusCode, 200, `${code}: page`)
    t.match(html.body, `<h1><code>${code}</code></h1>`)
    t.ok(html.body.includes(entry.message.replace(/&/g, '&#38;').replace(/"/g, '&#34;').replace(/'/g, '&#39;')), `${code}: the catalog message`)
    t.match(html.body, 'href="/errors"', `${code}: links back to the list`)
    const json = (await app.inject({ url: `/errors/${code}`, headers: { accept: 'application/json' } })).json()
    t.equal(json.code, code)
    t.equal(json.status, entry.status)
    t.equal(json.retryable, entry.retryable)
    t.equal(json.url, `/errors/${code}`)
    t.ok(typeof json.remedy === 'string' && json.remedy.length > 10, `${code}: what the caller can do`)
    if (entry.status !== 0) {
      t.same(Object.keys(json.examples).sort(), ['anthropic', 'openai', 'problem'], `${code}: an example in each envelope`)
      t.equal(validateBody('openai', code, json.examples.openai), null, `${code}: the openai example is valid`)
      t.equal(json.examples.openai.error.doc_url, `/errors/${code}`)
    }
  }
  const context = (await app.inject({ url: '/errors/context_length_exceeded', headers: { accept: 'application/json' } })).json()
  t.equal(context.param, 'messages', 'the field to shorten is named, as the remedy says')
  t.same(context.details.filter((detail: { always: boolean }) => detail.always).map((detail: { name: string }) => detail.name), ['requested_tokens', 'max_context_tokens'])
  const contextPage = (await app.inject('/errors/context_length_exceeded')).body
  t.match(contextPage, 'A reply may carry no details; when it does, <code>requested_tokens</code> and <code>max_context_tokens</code> are always there.')
  t.notMatch(contextPage, '—', 'no empty rows')
  t.match(contextPage, '<th>Field (<code>param</code>)</th><td><code>messages</code></td>')
  t.notMatch((await app.inject('/errors/internal_error')).body, 'Field', 'no Field row for a code about no field')
  const browser = await app.inject({ url: '/errors/model_not_found', headers: { accept: 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8' } })
  t.match(browser.headers['content-type'], /^text\/html/, 'a browser that also accepts JSON gets the page')
  t.match(browser.headers['content-security-policy'], "default-src 'none'")
  const missing = await app.inject('/errors/no_such_code')
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().error.code, 'resource_not_found')
  const hostile = await app.inject('/errors/%3Cscript%3E')
  t.equal(hostile.statusCode, 404)
  t.match(hostile.headers['content-type'], /^application\/json/, 'an unknown code is a JSON error for anything not asking for HTML')
  const forBrowser = await app.inject({ url: '/errors/%3Cscript%3E', headers: { accept: 'text/html' } })
  t.equal(forBrowser.statusCode, 404)
  t.match(forBrowser.headers['content-type'], /^text\/html/, 'and a page for a browser')
  t.notMatch(forBrowser.body, '<script', 'which does not echo the code asked for')
})

t.test('docsUrl and docsRoute together: the bodies and pages point to docsUrl', async (t) => {
  const app = await buildApp({ docsRoute: '/errors', docsUrl: 'https://docs.example.com/errors' }, (app) => {
    app.get('/a', async (_request, reply) => reply.gatewayError('model_not_found'))
  })
  t.teardown(() => app.close())
  t.equal((await app.inject('/a')).json().error.doc_url, 'https://docs.example.com/errors/model_not_found')
  const page = (await app.inject({ url: '/errors/model_not_found', headers: { accept: 'application/json' } })).json()
  t.equal(page.url, 'https://docs.example.com/errors/model_not_found')
  t.equal(page.examples.problem.type, 'https://docs.example.com/errors/model_not_found')
})

t.test('the pages name the class each SDK really raises', async (t) => {
  const app = await buildApp({ docsRoute: '/errors' }, (app) => {
    app.get('/v1/fail/:code', async (request, reply) => reply.gatewayError((request.params as { code: GatewayErrorCode }).code as never))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const openai = new OpenAI({ apiKey: 'k', baseURL: `${url}/v1`, maxRetries: 0 })
  const anthropic = new Anthropic({ apiKey: 'k', baseURL: url, maxRetries: 0 })
  for (const code of sendableCodes) {
    const page = (await app.inject({ url: `/errors/${code}`, headers: { accept: 'application/json' } })).json()
    const fromOpenai = await openai.get(`/fail/${code}`).then(() => undefined, (e: Error) => e)
    t.equal(fromOpenai?.constructor.name, page.sdk.openai, `${code}: openai raises ${page.sdk.openai}`)
    const fromAnthropic = await anthropic.get(`/v1/fail/${code}`).then(() => undefined, (e: Error) => e)
    t.equal(fromAnthropic?.constructor.name, page.sdk.anthropic, `${code}: @anthropic-ai/sdk raises ${page.sdk.anthropic}`)
  }
})

t.test('docsUrl and docsRoute are checked at register time', async (t) => {
  for (const [options, message] of [
    [{ docsUrl: 'docs.example.com' }, /option 'docsUrl' must be an absolute http\(s\) URL/],
    [{ docsUrl: 'https://docs.example.com/errors/' }, /option 'docsUrl'/],
    [{ docsUrl: 'javascript:alert(1)' }, /option 'docsUrl'/],
    [{ docsUrl: 'https://docs.example.com/errors?x=1' }, /option 'docsUrl'/],
    [{ docsRoute: 'errors' }, /option 'docsRoute' must be a path such as '\/errors'/],
    [{ docsRoute: '/errors/' }, /option 'docsRoute'/]
  ] as const) {
    await t.rejects(buildApp(options as never, () => {}), message)
  }
})
