'use strict'

const regexp = require('eslint-plugin-regexp')

module.exports = [
  ...require('neostandard')({
    ts: true,
    ignores: ['dist/**', 'examples/dist/**', 'coverage/**', '.tap/**', 'node_modules/**', '.scratch/**', '.stryker-tmp/**', 'reports/**']
  }),
  // Text from outside reaches these expressions: none may backtrack super-linearly (test/package/expressions.test.ts times them too).
  {
    files: ['lib/**/*.ts'],
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error'
    }
  }
]
