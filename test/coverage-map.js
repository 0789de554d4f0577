'use strict'
// Coverage is measured, and required at 100%, on the library (lib/) only: examples are exercised
// by the conformance tests but are not the product.
const { readdirSync } = require('node:fs')
const { join } = require('node:path')

function sources (dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [])
}

const lib = sources('lib')
module.exports = () => lib
