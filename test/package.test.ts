// The built package as users load it: require, default import, named imports, and the types entry.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

const root = join(__dirname, '..')
const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim()

t.test('the package entry points (npm run build first)', { skip: !existsSync(join(root, 'dist', 'index.js')) && 'dist/ not built' }, async (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  t.equal(pkg.main, 'dist/index.js')
  t.ok(existsSync(join(root, pkg.types)), 'types entry exists')
  t.same(pkg.peerDependencies, { fastify: '^5.0.0' }, 'fastify is a peer dependency')
  t.equal(run(['-e', `
    const plugin = require('fastify-gateway-errors')
    const { GatewayError, gatewayErrors, catalog } = require('fastify-gateway-errors')
    console.log([typeof plugin, plugin === gatewayErrors, plugin.default === plugin, typeof GatewayError, Object.keys(catalog).length === plugin.codes.length].join(' '))
  `]), 'function true true function true', 'require: the plugin itself, with named exports')
  t.equal(run(['--input-type=module', '-e', `
    import gatewayErrors, { GatewayError, sendableCodes } from 'fastify-gateway-errors'
    console.log([typeof gatewayErrors, typeof GatewayError, sendableCodes.length > 0].join(' '))
  `]), 'function function true', 'ESM: default and named imports')
  t.equal(run(['-e', `
    const Fastify = require('fastify')
    const app = Fastify()
    app.register(require('fastify-gateway-errors'))
    app.get('/', (request, reply) => reply.gatewayError('model_not_found'))
    app.inject('/').then((res) => { console.log(res.statusCode, res.json().error.code); return app.close() })
  `]), '404 model_not_found', 'registers and replies through require')
})
