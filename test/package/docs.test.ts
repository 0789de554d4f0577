// The generated parts of the docs stay true to the catalog and the example (npm run docs), and the
// README stays what a newcomer reads: short, with the commands a fresh clone runs and working links.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { catalogTable, codes, sendableCodes } from '../internals'

const { curlTable } = require('../../examples/gateway/curl')
const root = join(__dirname, '..', '..')
const read = (file: string) => readFileSync(join(root, file), 'utf8')

function between (text: string, name: string): string {
  const start = `<!-- ${name}:start -->`
  return text.slice(text.indexOf(start) + start.length, text.indexOf(`<!-- ${name}:end -->`)).trim()
}

t.test('docs/catalog.md: the catalog table is generated from the catalog', async (t) => {
  const table = between(read('docs/catalog.md'), 'catalog')
  t.equal(table, catalogTable(), 'docs/catalog.md is up to date: run `npm run docs`')
  t.equal(table.split('\n').length, codes.length + 2, 'a row per code')
})

t.test('examples/gateway/README.md: a curl line per sendable code, from the example\'s requests', async (t) => {
  const table = between(read('examples/gateway/README.md'), 'curl')
  t.equal(table, curlTable(), 'up to date: run `npm run docs`')
  t.equal(table.split('\n').length, sendableCodes.length + 2)
})

t.test('docs/providers.md: the table of provider errors is generated from the corpus', async (t) => {
  const { providersTable } = require('../../scripts/tables/providers')
  t.equal(between(read('docs/providers.md'), 'providers'), providersTable(), 'up to date: run `npm run docs`')
})

t.test('README.md: the LangChain table is generated from the rules the LangChain conformance test checks', async (t) => {
  const { langchainTable, rules } = require('../../scripts/tables/langchain')
  const table = between(read('README.md'), 'langchain')
  t.equal(table, langchainTable(), 'up to date: run `npm run docs`')
  t.equal(table.split('\n').length, rules.length + 2, 'a row per rule')
})

t.test('the Node versions the README states are the ones the packages accept', async (t) => {
  const semver = require('semver') as typeof import('semver')
  const pkg = JSON.parse(read('package.json'))
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean, engines?: { node?: unknown } }> }
  const readme = read('README.md')
  const major = semver.minVersion(pkg.engines.node)?.major
  t.match(readme, `Node.js ${major}+`, 'the README states the engines field')
  const engines = Object.entries(lock.packages).filter(([name, entry]) => name !== '' && typeof entry.engines?.node === 'string')
  const refusing = engines.filter(([, entry]) => entry.dev !== true && !semver.subset(pkg.engines.node, entry.engines?.node as string))
  t.same(refusing.map(([name]) => name), [], `every runtime dependency accepts every Node the package allows (${pkg.engines.node}): no EBADENGINE for users`)
  // The toolchain (npm ci in a clone) may want more: the README says how much.
  const versions = semver.sort(Array.from({ length: 200 }, (_, i) => `${major}.${i}.0`))
  const toolchain = versions.find((version) => engines.every(([, entry]) => entry.dev !== true || semver.satisfies(version, entry.engines?.node as string)))
  t.ok(toolchain, 'some Node of that major runs the toolchain')
  t.match(readme, `Developing needs Node ${semver.major(toolchain as string)}.${semver.minor(toolchain as string)}+`, 'the README states the toolchain\'s minimum')
})

t.test('the README: short, the commands a fresh clone runs, links that resolve', async (t) => {
  const readme = read('README.md')
  t.ok(Buffer.byteLength(readme) <= 20_000, `README.md is ${Buffer.byteLength(readme)} bytes`)
  t.match(readme, 'npm ci && npm start')
  t.match(readme, 'npm ci && npm test')
  const links = [...readme.matchAll(/\]\(((?!https?:)[^)#]+)\)/g)].map((match) => match[1] as string)
  t.ok(links.length >= 5)
  for (const link of links) t.ok(existsSync(join(root, link)), `${link} exists`)
  const order = ['## Install', '## Quick start', '## Options', '## API', '## Compatibility', '## License'].map((heading) => readme.indexOf(heading))
  t.same(order, [...order].sort((a, b) => a - b), 'install, quick start, options, API, compatibility, license')
  t.notOk(order.includes(-1))
})

t.test('the README quick start is examples/minimal.mts, line for line', async (t) => {
  const quickStart = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(read('README.md'))?.[1]
  const file = read('examples/minimal.mts').split('\n').filter((line, i) => !(i < 2 && line.startsWith('//'))).join('\n')
  t.equal(quickStart, file)
})
