// Request logs without secrets: no query string, secret-looking path segments masked.
import Fastify from 'fastify'
import t from 'tap'
import gatewayErrors, { gatewayLogSerializers } from '../internals'
import { loggableUrl } from '../../lib/server/log-serializers'

t.test('the request log carries no key from the query or the path', async (t) => {
  const lines: string[] = []
  const app = Fastify({ logger: { level: 'info', serializers: gatewayLogSerializers, stream: { write: (line: string) => { lines.push(line) } } } })
  await app.register(gatewayErrors)
  app.delete('/v1/keys/:id', async () => ({ deleted: true }))
  await app.ready()
  await app.inject({ method: 'DELETE', url: '/v1/keys/sk-live-abcdef1234567890?api_key=sk-proj-zzzzzzzzzzzzzzzz&x=%E0%A4%A' })
  const logged = lines.join('\n')
  t.match(logged, '"url":"/v1/keys/sk-…7890"')
  t.notMatch(logged, 'abcdef123456')
  t.notMatch(logged, 'zzzzzzzz')
  t.notMatch(logged, 'api_key')
  t.equal(loggableUrl('/v1/keys/%E0%A4%A?x=1'), '/v1/keys/%E0%A4%A', 'a segment that does not decode is kept as it came')
  await app.close()
})
