'use strict'

module.exports = require('neostandard')({
  ts: true,
  ignores: ['dist/**', 'examples/dist/**', 'coverage/**', '.tap/**', 'node_modules/**', '.scratch/**']
})
