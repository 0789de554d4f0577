'use strict'
// Where two instruction counts differ, by function: `INSTRUCTIONS_KEEP=dir npm run bench:instructions`
// (or `node bench/instructions.js --errors`) keeps each count's callgrind file and its JIT code map;
// `node bench/annotate.js dir/A dir/B [rows]` prints the functions whose own instructions per
// request differ most between A and B (JIT code named through V8's --perf-basic-prof map).
const { readFileSync } = require('node:fs')
const { execFileSync } = require('node:child_process')

const { COUNTING } = require('./instructions')

function load (base) {
  const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', `${base}.callgrind`], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 })
  // In the order V8 wrote them: where code was collected and its address reused, the newest wins.
  const jit = readFileSync(`${base}.map`, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [start, size, ...name] = line.split(' ')
    return { start: parseInt(start, 16), end: parseInt(start, 16) + parseInt(size, 16), name: name.join(' ') }
  })
  const nameOf = (address) => {
    for (let i = jit.length - 1; i >= 0; i--) if (jit[i].start <= address && address < jit[i].end) return jit[i].name
    return `0x${address.toString(16)}`
  }
  const self = new Map()
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*?)(?:\s+\[.*\])?$/.exec(line)
    if (match === null) continue
    const raw = match[2]
    const address = /^\?\?\?:0x([0-9a-f]+)$/.exec(raw)
    const name = address ? nameOf(parseInt(address[1], 16)) : raw.replace(/^\?\?\?:/, '')
    self.set(name, (self.get(name) ?? 0) + Number(match[1].replace(/,/g, '')) / COUNTING.measured)
  }
  return self
}

if (require.main === module) {
  const [a, b, rows = '25'] = process.argv.slice(2)
  const before = load(a); const after = load(b)
  const names = new Set([...before.keys(), ...after.keys()])
  const diff = [...names].map((name) => [(after.get(name) ?? 0) - (before.get(name) ?? 0), name]).sort((x, y) => y[0] - x[0])
  const show = ([d, name]) => console.log(`${d >= 0 ? '+' : ''}${Math.round(d)}`.padStart(8), name.slice(0, 140))
  console.log(`instructions per request, ${b} minus ${a}; more:`)
  diff.slice(0, Number(rows)).forEach(show)
  console.log('fewer:')
  diff.slice(-Number(rows)).reverse().forEach(show)
}
