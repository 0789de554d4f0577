'use strict'
// docs/providers.md's table, generated from the corpus: provider → the error recognised → code.
const { readdirSync, readFileSync } = require('node:fs')
const { join } = require('node:path')

const corpus = join(__dirname, '..', '..', 'test', 'fixtures', 'providers')

function providersTable () {
  const rows = readdirSync(corpus).filter((file) => file.endsWith('.json')).sort().flatMap((file) =>
    JSON.parse(readFileSync(join(corpus, file), 'utf8')).map((fixture) =>
      `| ${file.replace('.json', '')} | ${fixture.name} | ${fixture.status} | \`${fixture.expect.code}\` | ${fixture.source.replace(/\|/g, '\\|')} |`))
  return ['| provider | reply | status | code | seen at |', '| --- | --- | --- | --- | --- |', ...rows].join('\n')
}

module.exports = { providersTable }
