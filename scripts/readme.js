'use strict'
// Rewrites the catalog table in README.md from the catalog data. `npm run docs`.
const { readFileSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const { catalogTable } = require('..')

const START = '<!-- catalog:start -->'
const END = '<!-- catalog:end -->'
const file = join(__dirname, '..', 'README.md')
const readme = readFileSync(file, 'utf8')
const from = readme.indexOf(START)
const to = readme.indexOf(END)
if (from === -1 || to === -1) throw new Error(`README.md needs ${START} and ${END} markers`)
writeFileSync(file, `${readme.slice(0, from + START.length)}\n${catalogTable()}\n${readme.slice(to)}`)
