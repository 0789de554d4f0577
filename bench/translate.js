'use strict'
// The cost of translating a provider's error reply (test/fixtures/providers/, 64 real replies):
// translateProviderError against JSON.parse of the same body, the least any reader of it does,
// alternating in rounds, median of the per-round ratios. And one hostile case: a 64 KiB body.
const { readdirSync, readFileSync } = require('node:fs')
const { join } = require('node:path')
const { translateProviderError } = require('../dist/upstream/provider-errors')

const dir = join(__dirname, '..', 'test', 'fixtures', 'providers')
const corpus = readdirSync(dir).filter((file) => file.endsWith('.json')).flatMap((file) =>
  JSON.parse(readFileSync(join(dir, file), 'utf8')).map((fixture) => ({ provider: file.replace('.json', ''), ...fixture })))
const hostile = [{ provider: 'p', status: 400, headers: {}, body: JSON.stringify({ error: { message: `Invalid value: ${'<'.repeat(32_000)}${'a'.repeat(32_000)}` } }) }]

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

function timePerReply (replies, each, iterations) {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) for (const reply of replies) each(reply)
  return Number(process.hrtime.bigint() - start) / 1e3 / (iterations * replies.length)
}

const translate = (fixture) => translateProviderError({ status: fixture.status, headers: fixture.headers, body: fixture.body, provider: fixture.provider })
const parse = (fixture) => { try { return JSON.parse(fixture.body) } catch { return undefined } }

function compare (replies, rounds, iterations) {
  timePerReply(replies, translate, iterations)
  timePerReply(replies, parse, iterations)
  const a = []; const b = []; const ratios = []
  for (let round = 0; round < rounds; round++) {
    const translated = timePerReply(replies, translate, iterations)
    const parsed = timePerReply(replies, parse, iterations)
    a.push(translated); b.push(parsed); ratios.push(translated / parsed)
  }
  return { replies: replies.length, translateMicros: median(a), parseMicros: median(b), ratio: median(ratios) }
}

function measureTranslation ({ rounds = 11 } = {}) {
  return {
    [`${corpus.length} real provider replies`]: compare(corpus, rounds, 200),
    'a 64 KiB hostile reply': compare(hostile, rounds, 20)
  }
}

module.exports = { measureTranslation }

if (require.main === module) console.log(measureTranslation())
