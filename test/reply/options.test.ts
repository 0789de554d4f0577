// Options, checked at register time, and the route config checked when a route is added.
import Fastify from 'fastify'
import t from 'tap'
import gatewayErrors, { validateOptions } from '../internals'

t.test('options are validated at register time', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{ envelope: 'xml' }, /option 'envelope' must be one of openai, anthropic, problem/],
    [{ negotiate: 'yes' }, /option 'negotiate' must be a boolean/],
    [{ onGatewayError: 42 }, /option 'onGatewayError' must be a function/],
    [{ onStreamEnd: 'bill' }, /option 'onStreamEnd' must be a function/],
    [{ undeclaredCodes: 'loud' }, /option 'undeclaredCodes'/],
    [{ serializerOpts: 3 }, /option 'serializerOpts' must be an object/],
    [{ envelopeFor: 'anthropic' }, /option 'envelopeFor' must be a function/],
    [{ colour: 'blue' }, /unknown option 'colour'/]
  ]
  for (const [options, message] of bad) {
    const app = Fastify()
    app.register(gatewayErrors, options as never)
    await t.rejects(async () => { await app.ready() }, message, JSON.stringify(options))
  }
})

t.test('validateOptions fills defaults and rejects non-objects', async (t) => {
  t.throws(() => validateOptions(null), /options must be an object/)
  t.throws(() => validateOptions([]), /options must be an object/)
  t.match(validateOptions({}), { envelope: 'openai', negotiate: false, errorHandler: true, notFoundHandler: true, routeSchemas: true })
})

t.test('registering twice fails at start-up with a clear message', async (t) => {
  const app = Fastify()
  app.register(gatewayErrors)
  app.register(gatewayErrors)
  await t.rejects(async () => { await app.ready() }, /fastify-gateway-errors: already registered/)
})

t.test('route config is validated when the route is added', async (t) => {
  for (const [config, message] of [
    [{ codes: ['model_not_found', 'nope'] }, /codes has codes not in the catalog: nope/],
    [{ codes: 'model_not_found' }, /codes must be an array/],
    [{ envelope: 'soap' }, /envelope must be one of/],
    ['yes', /config.gatewayErrors must be an object/]
  ] as const) {
    const app = Fastify()
    await app.register(gatewayErrors)
    t.throws(() => app.get('/x', { config: { gatewayErrors: config as never } }, async () => 'ok'), message)
  }
})

t.test('production defaults: no details checks, undeclared codes not reported', async (t) => {
  const previous = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  t.teardown(() => { process.env.NODE_ENV = previous })
  t.match(validateOptions({}), { checkDetails: false, undeclaredCodes: 'off' })
})
