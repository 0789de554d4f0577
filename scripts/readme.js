'use strict'
// Rewrites the generated parts of README.md: the catalog table (from the catalog data) and the curl
// request per code (from the example gateway's request list). `npm run docs`.
const { readFileSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const { catalogTable } = require('..')
const { curlTable } = require('../examples/gateway/curl')

const file = join(__dirname, '..', 'README.md')
let readme = readFileSync(file, 'utf8')
for (const [name, content] of [['catalog', catalogTable()], ['curl', curlTable()]]) {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const from = readme.indexOf(start)
  const to = readme.indexOf(end)
  if (from === -1 || to === -1) throw new Error(`README.md needs ${start} and ${end} markers`)
  readme = `${readme.slice(0, from + start.length)}\n${content}\n${readme.slice(to)}`
}
writeFileSync(file, readme)
