// Every regular expression in lib/ runs on text from outside (provider messages, headers, thrown
// errors): each must be linear, whatever the input. The literals are found in the source; the ones
// built from parts are kept by lib/upstream/patterns.ts. Each is analysed by recheck (which searches for an
// input that makes it backtrack, and reports it) and timed, unclipped, on that input and on 100 KB of
// the usual hostile shapes.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { checkSync } from 'recheck'
import '../../lib/index'
import '../../lib/routing/index'
import { composedPatterns } from '../../lib/upstream/patterns'

const LIB = join(__dirname, '..', '..', 'lib')

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [])
}

interface Found { file: string, pattern: RegExp }

function literalsIn (file: string): { literals: Found[], constructed: number } {
  const text = readFileSync(file, 'utf8')
  const tree = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const literals: Found[] = []
  let constructed = 0
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText(tree)
      const end = literal.lastIndexOf('/')
      literals.push({ file, pattern: new RegExp(literal.slice(1, end), literal.slice(end + 1)) })
    }
    if (ts.isNewExpression(node) && node.expression.getText(tree) === 'RegExp') constructed++
    ts.forEachChild(node, visit)
  }
  visit(tree)
  return { literals, constructed }
}

const files = sources(LIB)
const found = files.map(literalsIn)
const relative = (file: string) => file.slice(LIB.length + 1)

t.test('no expression is built outside lib/upstream/patterns.ts, where each one built is kept', async (t) => {
  const outside = files.filter((file, i) => (found[i] as { constructed: number }).constructed > 0 && !file.endsWith('patterns.ts')).map(relative)
  t.same(outside, [])
  t.ok(composedPatterns.length >= 5, `${composedPatterns.length} built from parts`)
})

const all: Found[] = [
  ...found.flatMap((entry) => entry.literals),
  ...composedPatterns.map((pattern) => ({ file: 'patterns.ts (built)', pattern }))
]

const HOSTILE = ['a', '0', ' ', '-', '\t', 'eyJ-', 'sk-', 'a=', '1.', 'key_', 'aaaa.', '\\', '"', 'token: ', 'try again in 1']
  .map((unit) => unit.repeat(Math.ceil(100_000 / unit.length)))

function time (run: () => unknown): number {
  const start = process.hrtime.bigint()
  run()
  return Number(process.hrtime.bigint() - start) / 1e6
}

t.test(`every expression in lib/ is linear (${all.length} found)`, async (t) => {
  t.ok(all.length > 60, 'the scan finds them')
  for (const { file, pattern } of all) {
    const name = `${file}: /${pattern.source.slice(0, 50)}${pattern.source.length > 50 ? '…' : ''}/${pattern.flags}`
    const report = checkSync(pattern.source, pattern.flags, { timeout: 10_000 })
    t.not(report.status, 'vulnerable', `${name}: ${report.status === 'vulnerable' ? `${report.complexity.summary}, e.g. ${JSON.stringify(report.attack.string.slice(0, 40))}` : report.status}`)
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`)
    const attack = report.status === 'vulnerable' ? [report.attack.pattern.repeat(100_000)] : []
    let slowest = 0
    for (const input of [...HOSTILE, ...attack]) slowest = Math.max(slowest, time(() => input.replace(global, '')))
    t.ok(slowest < 50, `${name}: ${slowest.toFixed(1)} ms on 100 KB at worst`)
  }
})
