'use strict'
// The README's table of curl requests, one per sendable code, from requests.js.
const requests = require('./requests')

function shellQuote (text) {
  return `'${text.replace(/'/g, "'\\''")}'`
}

function curl (request, key) {
  const parts = ['curl -s']
  if (request.method !== 'GET' && !(request.method === 'POST' && (request.body !== undefined || request.raw !== undefined))) parts.push(`-X ${request.method}`)
  parts.push(`http://127.0.0.1:3000${request.path}`)
  parts.push(`-H 'authorization: Bearer ${key}'`)
  for (const [name, value] of Object.entries(request.headers ?? {})) parts.push(`-H ${shellQuote(`${name}: ${value}`)}`)
  if (request.raw !== undefined || request.body !== undefined) {
    parts.push("-H 'content-type: application/json'")
    const body = request.raw ?? JSON.stringify(request.body)
    const big = body.match(/"(a{1000,})"/)
    if (big !== null) {
      const template = JSON.stringify(request.body).replace(big[0], '"A"')
      return `node -e ${shellQuote(`console.log(JSON.stringify(${template}).replace('"A"', JSON.stringify('a'.repeat(${big[1].length}))))`)} | ${parts.join(' ')} -d @-`
    }
    parts.push(`-d ${shellQuote(body)}`)
  }
  return parts.join(' ')
}

function curlTable () {
  const rows = Object.entries(requests).sort(([a], [b]) => a.localeCompare(b)).map(([code, request]) => {
    const key = request.key ?? 'sk-demo-full'
    const before = (request.before ?? []).map((first) => `${curl(first, key)}; `).join('')
    return `| \`${code}\` | ${request.note} | \`${(before + curl(request, key)).replace(/\|/g, '\\|')}\` |`
  })
  return ['| code | how | request |', '| --- | --- | --- |', ...rows].join('\n')
}

module.exports = { curlTable, curl }
