'use strict'
// Rewrites the generated parts of the docs: the catalog table (docs/catalog.md, from the catalog data)
// and the curl request per code (examples/gateway/README.md, from the example's request list).
// `npm run docs`; test/package/docs.test.ts fails when they drift.
const { readFileSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const { catalogTable } = require('../dist/catalog/markdown-table')
const { curlTable } = require('../examples/dist/gateway/curl')
const { providersTable } = require('./tables/providers')
const { langchainTable } = require('./tables/langchain')

const root = join(__dirname, '..')
const generated = [
  ['docs/catalog.md', 'catalog', catalogTable],
  ['examples/gateway/README.md', 'curl', curlTable],
  ['docs/providers.md', 'providers', providersTable],
  ['README.md', 'langchain', langchainTable]
]

function replaceBetween (text, name, content) {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from === -1 || to === -1) throw new Error(`needs ${start} and ${end} markers`)
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`
}

for (const [file, name, build] of generated) {
  const path = join(root, file)
  writeFileSync(path, replaceBetween(readFileSync(path, 'utf8'), name, build()))
}
