import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { catalogTable, codes, sendableCodes } from '../lib/index'

const { curlTable } = require('../examples/gateway/curl')

t.test('the README catalog table is generated from the catalog (npm run docs)', async (t) => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8')
  const table = readme.slice(readme.indexOf('<!-- catalog:start -->') + '<!-- catalog:start -->'.length, readme.indexOf('<!-- catalog:end -->')).trim()
  t.equal(table, catalogTable(), 'README.md is up to date: run `npm run docs`')
  t.equal(table.split('\n').length, codes.length + 2, 'a row per code')
})

t.test('the README curl table is generated from the example gateway\'s requests', async (t) => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8')
  const table = readme.slice(readme.indexOf('<!-- curl:start -->') + '<!-- curl:start -->'.length, readme.indexOf('<!-- curl:end -->')).trim()
  t.equal(table, curlTable(), 'README.md is up to date: run `npm run docs`')
  t.equal(table.split('\n').length, sendableCodes.length + 2, 'a curl line per sendable code')
})

t.test('the README shows the commands a fresh clone runs', async (t) => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8')
  t.match(readme, 'npm ci && npm start')
  t.match(readme, 'npm ci && npm test')
})
