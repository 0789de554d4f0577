// The package as users get it: packed with `npm pack`, unpacked into fresh projects of every kind
// (ESM with module nodenext, CommonJS with node16, moduleResolution bundler, plain JavaScript ESM
// and CJS), type-checked with --strict by the project's own TypeScript, and run. The README's quick
// start is one of them, compiled and run as written. A file with wrong codes and details must fail
// to compile in each, so the types are known not to be `any`.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

const root = join(__dirname, '..', '..')
const work = join(root, 'node_modules', '.cache', 'fastify-gateway-errors-consumers')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
// The child processes (tsc, npm, the consumers) are not ours to measure: without this, tap would
// process V8 coverage of the whole TypeScript compiler for every run.
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(?:NODE_V8_COVERAGE|NODE_OPTIONS|_?TAP)/.test(key)))

function run (file: string, args: string[], cwd: string, env: Record<string, string> = {}): { code: number, out: string } {
  try {
    return { code: 0, out: execFileSync(file, args, { cwd, encoding: 'utf8', env: { ...childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }) }
  } catch (error) {
    const failure = error as { status: number, stdout: string, stderr: string }
    return { code: failure.status, out: `${failure.stdout}${failure.stderr}` }
  }
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
t.ok(pkg.scripts.prepack?.includes('build'), 'npm pack and git installs build dist/ first (prepack)')

rmSync(work, { recursive: true, force: true })
mkdirSync(work, { recursive: true })
const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root).out)[0] as { filename: string, files: Array<{ path: string }> }
const tarball = join(work, packed.filename)
const unpacked = join(work, 'package')
run('tar', ['xzf', tarball, '-C', work], work)
const api = require(join(unpacked, 'dist', 'index.js'))
const names = Object.keys(api).filter((name) => name !== 'default' && name !== 'gatewayErrors').sort()

t.test('the tarball: dist/ and its entry points, no source maps to files it lacks', async (t) => {
  const files = packed.files.map((file) => file.path)
  t.ok(files.includes('dist/main.js') && files.includes('dist/main.d.ts') && files.includes('dist/routing/index.js') && files.includes('dist/upstream/index.js') && files.includes('dist/telemetry/index.js'))
  t.notOk(files.some((file) => file.startsWith('lib/') || file.startsWith('test/')), 'no sources or tests')
  for (const file of files.filter((f) => f.endsWith('.js'))) {
    const map = /\/\/# sourceMappingURL=(.+)$/m.exec(readFileSync(join(unpacked, file), 'utf8'))?.[1]
    if (map !== undefined) t.ok(files.includes(join(file, '..', map)), `${file}: its source map is packed`)
  }
  t.same(names.filter((name) => !new RegExp(`\`${name}[\`(<]`).test(readme)), [], 'every export is documented in the README')
  // What a user reads in node_modules or on a package CDN: the README's links to the reference
  // (docs/, SECURITY.md) and their anchors resolve inside the package. bench/ and examples/ are
  // for working on a clone (the README's development section).
  const links = [...readme.matchAll(/\]\(((?:docs\/|SECURITY\.md)[^)#]*)(?:#([^)]+))?\)/g)]
  t.ok(links.length >= 10, `${links.length} links to the reference`)
  for (const [, file, anchor] of links) {
    if (!t.ok(files.includes(file as string), `${file} is in the package`)) continue
    if (anchor === undefined) continue
    const headings = [...readFileSync(join(unpacked, file as string), 'utf8').matchAll(/^#+ (.+)$/gm)]
      .map((match) => (match[1] as string).toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-'))
    t.ok(headings.includes(anchor), `${file}#${anchor} exists`)
  }
})

t.test('@arethetypeswrong/cli finds no problem in the tarball', async (t) => {
  const result = run(process.execPath, [join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'), tarball, '--format', 'ascii'], work)
  t.equal(result.code, 0, result.out)
  t.match(result.out, 'No problems found')
})

interface Project { name: string, type: 'module' | 'commonjs', compilerOptions?: Record<string, unknown>, files: Record<string, string> }

function project ({ name, type, compilerOptions, files }: Project): string {
  const dir = join(work, name)
  mkdirSync(join(dir, 'node_modules'), { recursive: true })
  cpSync(unpacked, join(dir, 'node_modules', 'fastify-gateway-errors'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type }))
  if (compilerOptions !== undefined) {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'es2022', strict: true, skipLibCheck: true, types: ['node'], outDir: 'out', ...compilerOptions },
      include: ['*.ts']
    }))
  }
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text)
  return dir
}

const quickStart = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1] as string
const namedImports = (from: string) => `import gatewayErrors, { ${names.join(', ')} } from '${from}'
import { routeRequest, selectProvider, profileFromChatCompletion, CapabilityRoutingError } from 'fastify-gateway-errors/routing'
import { attemptCandidates, attemptPolicy, fetchUpstream as fetchUpstreamFromSubpath } from 'fastify-gateway-errors/upstream'
const values: Record<string, unknown> = { gatewayErrors, ${names.join(', ')}, routeRequest, selectProvider, profileFromChatCompletion, CapabilityRoutingError, attemptCandidates, attemptPolicy, fetchUpstreamFromSubpath }
console.log(JSON.stringify(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v]))))
`
const negative = `import Fastify from 'fastify'
import gatewayErrors, { GatewayError } from 'fastify-gateway-errors'
const app = Fastify()
app.register(gatewayErrors, { envelope: 'xml' })
app.get('/', async (_request, reply) => {
  reply.gatewayError('model_not_fond')
  reply.gatewayError('model_not_found', { model: 42 })
  reply.gatewayError('client_disconnected')
  throw new GatewayError('context_length_exceeded', { requested_tokens: 'many' })
})
`
const NEGATIVE_LINES = [4, 6, 7, 8, 9]
// A code of your own, declared as the README says, from the packed types: the declared code and its
// details type-check, a misspelt code and wrong details do not.
const extra = `import Fastify from 'fastify'
import gatewayErrors, { GatewayError } from 'fastify-gateway-errors'
declare module 'fastify' { interface GatewayErrorExtraCodes { guardrail_blocked: { policy?: string } } }
const app = Fastify()
app.register(gatewayErrors, { extraCodes: { guardrail_blocked: { status: 403, message: 'Blocked by a guardrail policy' } } })
app.get('/', async (_request, reply) => {
  reply.gatewayError('guardrail_blocked', { policy: 'pii' })
  reply.gatewayError('guardrail_blockd')
  throw new GatewayError('guardrail_blocked', { policy: 42 })
})
`
const EXTRA_LINES = [8, 9]

function typeErrorLines (output: string, file: string): number[] {
  return [...output.matchAll(new RegExp(`${file}\\((\\d+),\\d+\\): error TS`, 'g'))].map((match) => Number(match[1]))
}

const typescriptKinds: Array<{ name: string, type: 'module' | 'commonjs', compilerOptions: Record<string, unknown>, main: string, runs: boolean }> = [
  { name: 'esm-nodenext', type: 'module', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, main: namedImports('fastify-gateway-errors'), runs: true },
  { name: 'cjs-node16', type: 'commonjs', compilerOptions: { module: 'node16', moduleResolution: 'node16' }, main: namedImports('fastify-gateway-errors'), runs: true },
  { name: 'bundler', type: 'module', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' }, main: namedImports('fastify-gateway-errors'), runs: true }
]

for (const kind of typescriptKinds) {
  t.test(`TypeScript, ${kind.name}: named and default imports compile with --strict and run; wrong codes do not compile`, async (t) => {
    const dir = project({ name: kind.name, type: kind.type, compilerOptions: kind.compilerOptions, files: { 'main.ts': kind.main, 'negative.ts': negative, 'extra.ts': extra } })
    const compiled = run(process.execPath, [tsc, '-p', '.'], dir)
    t.same(typeErrorLines(compiled.out, 'main.ts'), [], `main.ts compiles: ${compiled.out.slice(0, 400)}`)
    t.same(typeErrorLines(compiled.out, 'negative.ts'), NEGATIVE_LINES, 'each wrong line of negative.ts is a type error')
    t.same(typeErrorLines(compiled.out, 'extra.ts'), EXTRA_LINES, 'a declared code of your own compiles, an undeclared one does not')
    const ran = run(process.execPath, [join(dir, 'out', 'main.js')], dir)
    t.equal(ran.code, 0, ran.out)
    const types = JSON.parse(ran.out) as Record<string, string>
    t.same(Object.entries(types).filter(([, type]) => type === 'undefined'), [], 'every named import has a value at run time')
    t.equal(types.gatewayErrors, 'function')
  })
}

// What a user reads when a call is wrong: the mistake named, on each TypeScript a project may have
// (the last overload of an older signature made TypeScript 7 report "not assignable to 'never'").
const mistakes = `import Fastify from 'fastify'
import gatewayErrors, { GatewayError } from 'fastify-gateway-errors'
const app = Fastify()
app.register(gatewayErrors)
app.get('/', async (_request, reply) => {
  reply.gatewayError('rate_limit_exeeded')
  reply.gatewayError('rate_limit_exceeded', { retry_after: 5 })
  reply.gatewayError('rate_limit_exceeded', { retry_after_ms: 'soon' })
  void new GatewayError('modle_not_found')
  void new GatewayError('model_not_found', { modle: 'm' })
  throw new GatewayError('context_length_exceeded', { requested_tokens: 'many', max_context_tokens: 5 })
})
`
const MISTAKES: Array<[line: number, says: RegExp]> = [
  [6, /Argument of type '"rate_limit_exeeded"' is not assignable to parameter of type/],
  [7, /'retry_after' does not exist in type '\{ retry_after_ms\?: number/],
  [8, /Type 'string' is not assignable to type 'number'/],
  [9, /Argument of type '"modle_not_found"' is not assignable to parameter of type/],
  [10, /'modle' does not exist in type '\{ model: string/],
  [11, /Type 'string' is not assignable to type 'number'/]
]
const OWN_CODE = "declare module 'fastify' { interface GatewayErrorExtraCodes { guardrail_blocked: { policy?: string } } }\nexport {}\n"

// The project's own TypeScript (6), and the ones before and after it, from the npm registry once.
// TypeScript 7 is a native compiler: run as it is, since tap's process tracking cannot load its ESM
// launcher.
function typescriptCompiler (version: string | undefined): [file: string, ...args: string[]] {
  if (version === undefined) return [process.execPath, tsc]
  const prefix = join(root, 'node_modules', '.cache', `typescript-${version}`)
  const modules = join(prefix, 'node_modules')
  if (!existsSync(join(modules, 'typescript', 'package.json'))) {
    const installed = run('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, `typescript@${version}`], root)
    if (installed.code !== 0) throw new Error(installed.out)
  }
  if (!version.startsWith('7.')) return [process.execPath, join(modules, 'typescript', 'bin', 'tsc')]
  return [join(modules, '@typescript', `typescript-${process.platform}-${process.arch}`, 'lib', 'tsc')]
}

for (const [label, version] of [['5.9', '5.9.3'], ['6', undefined], ['7', '7.0.2']] as const) {
  for (const own of [false, true]) {
    t.test(`TypeScript ${label}${own ? ', with a code of your own declared' : ''}: each type error names the real mistake`, async (t) => {
      const files: Record<string, string> = { 'mistakes.ts': mistakes }
      if (own) files['own.ts'] = OWN_CODE
      const dir = project({ name: `mistakes-${label}-${String(own)}`, type: 'module', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, files })
      const compiled = (([file, ...args]) => run(file, [...args, '-p', '.', '--noEmit', '--pretty', 'false'], dir))(typescriptCompiler(version))
      const errors = new Map<number, string>()
      for (const match of compiled.out.matchAll(/mistakes\.ts\((\d+),\d+\): (error TS[^\n]*)/g)) errors.set(Number(match[1]), match[2] as string)
      t.same([...errors.keys()], MISTAKES.map(([line]) => line), compiled.out.slice(0, 600))
      for (const [line, says] of MISTAKES) {
        t.match(errors.get(line), says, `line ${line}`)
        t.notMatch(errors.get(line), /type 'never'/, `line ${line} does not blame the code`)
      }
    })
  }
}

t.test('TypeScript CommonJS: import = require(), as the README says', async (t) => {
  const dir = project({
    name: 'cjs-require',
    type: 'commonjs',
    compilerOptions: { module: 'node16', moduleResolution: 'node16' },
    files: {
      'main.ts': `import Fastify from 'fastify'
import gatewayErrors = require('fastify-gateway-errors')
import routing = require('fastify-gateway-errors/routing')
import upstream = require('fastify-gateway-errors/upstream')
import otel = require('fastify-gateway-errors/otel')
const ledger: upstream.AttemptRecord[] = []
void ledger
const app = Fastify()
app.register(gatewayErrors)
app.get('/', async (_request, reply) => reply.gatewayError('model_not_found', { model: 'm' }))
app.inject('/').then(async (res) => {
  console.log(res.statusCode, res.json().error.code, typeof gatewayErrors.GatewayError, typeof routing.routeRequest, typeof upstream.attemptCandidates, typeof otel.gatewaySpanAttributes)
  await app.close()
})
`
    }
  })
  const compiled = run(process.execPath, [tsc, '-p', '.'], dir)
  t.equal(compiled.code, 0, compiled.out)
  t.equal(run(process.execPath, [join(dir, 'out', 'main.js')], dir).out.trim(), '404 model_not_found function function function function')
})

t.test('JavaScript ESM and CommonJS at run time', async (t) => {
  const esm = project({ name: 'js-esm', type: 'module', files: { 'main.mjs': namedImports('fastify-gateway-errors').replace(': Record<string, unknown>', '') } })
  const types = JSON.parse(run(process.execPath, ['main.mjs'], esm).out) as Record<string, string>
  t.same(Object.entries(types).filter(([, type]) => type === 'undefined'), [])
  const cjs = project({
    name: 'js-cjs',
    type: 'commonjs',
    files: {
      'main.js': `const Fastify = require('fastify')
const gatewayErrors = require('fastify-gateway-errors')
const { GatewayError } = require('fastify-gateway-errors')
const { selectProvider } = require('fastify-gateway-errors/routing')
const { attemptCandidates } = require('fastify-gateway-errors/upstream')
const app = Fastify()
app.register(gatewayErrors)
app.get('/', async () => { throw new GatewayError('upstream_timeout') })
app.inject('/').then(async (res) => {
  console.log(res.statusCode, res.json().error.code, gatewayErrors.default === gatewayErrors, typeof selectProvider, typeof attemptCandidates)
  await app.close()
})
`
    }
  })
  t.equal(run(process.execPath, ['main.js'], cjs).out.trim(), '504 upstream_timeout true function function')
})

t.test('the README quick start compiles with --strict in an ESM project and runs as written', async (t) => {
  t.ok(quickStart.includes('gatewayErrors'), 'the quick start was found')
  const dir = project({ name: 'quick-start', type: 'module', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, files: { 'index.ts': quickStart } })
  const compiled = run(process.execPath, [tsc, '-p', '.'], dir)
  t.equal(compiled.code, 0, compiled.out)
  const child = spawn(process.execPath, [join(dir, 'out', 'index.js')], { cwd: dir, env: { ...childEnv, PORT: '0' } })
  t.teardown(() => { child.kill() })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString()
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match !== null) resolve(match[1] as string)
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)))
  })
  const missing = await fetch(`${url}/v1/models/gpt-9`)
  t.equal(missing.status, 404)
  t.equal(((await missing.json()) as { error: { code: string } }).error.code, 'model_not_found')
  const tooLong = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: ['x'.repeat(600_000)] }) })
  t.equal(tooLong.status, 400)
  t.match(((await tooLong.json()) as { error: { message: string } }).error.message, /^Token count exceeds the model’s context window: prompt is too long: \d+ tokens > \d+ maximum/)
  const messages = await fetch(`${url}/v1/messages`, { method: 'POST' })
  t.equal(messages.status, 503)
  t.equal(((await messages.json()) as { error: { type: string } }).error.type, 'overloaded_error')
  t.match(messages.headers.get('retry-after'), /^[23]$/, 'the 1.5 s wait, with up to half again of jitter, in seconds')
})

t.teardown(() => { if (existsSync(work)) rmSync(work, { recursive: true, force: true }) })
