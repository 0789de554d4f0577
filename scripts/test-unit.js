'use strict'
// Runs the tap suite and prints what a person reads: one line per test file, every failure in
// full, the totals and the coverage summary. The raw TAP stream is kept in .tap/last.tap.
const { spawn, spawnSync } = require('node:child_process')
const { createWriteStream, mkdirSync } = require('node:fs')
const { join } = require('node:path')

const TAP = join(__dirname, '..', 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')

mkdirSync('.tap', { recursive: true })
const raw = createWriteStream('.tap/last.tap')
const tap = spawn(process.execPath, [TAP, '-R', 'tap', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] })
let failure = []
let buffer = ''
tap.stdout.on('data', (data) => {
  raw.write(data)
  buffer += data.toString()
  const lines = buffer.split('\n')
  buffer = lines.pop()
  for (const line of lines) {
    if (/^(?:not )?ok \d+ - /.test(line) || /^# \{ total/.test(line)) console.log(line)
    if (/^\s*not ok /.test(line)) failure = [line]
    else if (failure.length > 0) {
      failure.push(line)
      if (/^\s*\.\.\.$/.test(line)) { console.log(failure.join('\n')); failure = [] }
    }
  }
})
tap.on('close', (code) => {
  raw.end()
  // On failure (coverage below 100% among them) the table says which lines.
  const report = spawnSync(process.execPath, [TAP, 'report', code === 0 ? 'text-summary' : 'text'], { encoding: 'utf8' })
  process.stdout.write(report.stdout)
  process.exit(code ?? 1)
})
