// The README's table of curl requests, one per sendable code, from requests.ts.
import { requests, type ExampleCall } from './requests'

function shellQuote (text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`
}

export function curl (request: ExampleCall, key: string): string {
  const parts = ['curl -s']
  if (request.method !== 'GET' && !(request.method === 'POST' && (request.body !== undefined || request.raw !== undefined))) parts.push(`-X ${request.method}`)
  parts.push(`http://127.0.0.1:3000${request.path}`)
  parts.push(`-H 'authorization: Bearer ${key}'`)
  for (const [name, value] of Object.entries(request.headers ?? {})) parts.push(`-H ${shellQuote(`${name}: ${value}`)}`)
  if (request.raw !== undefined || request.body !== undefined) {
    parts.push("-H 'content-type: application/json'")
    const body = request.raw ?? JSON.stringify(request.body)
    // A long text made of one short piece repeated is shown as it is built, not pasted.
    const long = body.match(/"((.{1,10}?)\2{99,})"/)
    if (long !== null) {
      const [quoted, text, unit] = long as unknown as [string, string, string]
      const template = body.replace(quoted, '"A"')
      const built = `${JSON.stringify(unit)}.repeat(${text.length / unit.length})`
      return `node -e ${shellQuote(`console.log(JSON.stringify(${template}).replace('"A"', JSON.stringify(${built})))`)} | ${parts.join(' ')} -d @-`
    }
    parts.push(`-d ${shellQuote(body)}`)
  }
  return parts.join(' ')
}

export function curlTable (): string {
  const rows = Object.entries(requests).sort(([a], [b]) => a.localeCompare(b)).map(([code, request]) => {
    const key = request.key ?? 'sk-demo-full'
    const before = (request.before ?? []).map((first) => `${curl(first, key)}; `).join('')
    return `| \`${code}\` | ${request.note} | \`${(before + curl(request, key)).replace(/\|/g, '\\|')}\` |`
  })
  return ['| code | how | request |', '| --- | --- | --- |', ...rows].join('\n')
}
