// The public surface is small and every name in it is a real value.
import t from 'tap'
import * as api from '../../lib/index'

t.test('the public values: about a dozen, none undefined', async (t) => {
  const entries = Object.entries(api).filter(([name]) => name !== 'default')
  t.ok(entries.length <= 12, `${entries.length} named values`)
  t.same(entries.filter(([, value]) => value === undefined).map(([name]) => name), [])
  t.equal(api.default, api.gatewayErrors, 'the default export is the plugin')
})

t.test('fastify-gateway-errors/upstream: the upstream client and the attempt loop, every value real', async (t) => {
  const upstream = await import('../../lib/upstream')
  const entries = Object.entries(upstream).filter(([name]) => name !== 'default')
  t.same(entries.map(([name]) => name).sort(), ['DEFAULT_RULES', 'attemptCandidates', 'attemptPolicy', 'defaultAttemptPolicy', 'fetchUpstream', 'maskSecret', 'redactString', 'translateProviderError'])
  t.same(entries.filter(([, value]) => value === undefined).map(([name]) => name), [])
})
