// The catalog as a Markdown table, for READMEs and docs sites: generated, never written by hand.
import { catalog, codes } from './catalog'
import { commonDetailNames } from './details'
import { anthropicType } from '../reply/envelopes/anthropic'

function cell (text: string): string {
  return text.replace(/\|/g, '\\|')
}

export function catalogTable (): string {
  const rows = codes.map((code) => {
    const entry = catalog[code]
    const details = Object.entries(entry.details.properties)
      .filter(([key]) => !commonDetailNames.has(key))
      .map(([key, schema]) => (entry.details.required ?? []).includes(key) ? `\`${key}\`` : `\`${key}?\``)
      .join(' ')
    const cells = [
      `\`${code}\``,
      entry.status === 0 ? '0 (not sent)' : entry.status,
      `\`${entry.type}\``,
      `\`${anthropicType(entry)}\``,
      entry.retryable ? 'yes' : 'no',
      entry.param === null ? '' : `\`${entry.param}\``,
      cell(entry.message),
      details
    ]
    return `| ${cells.join(' | ')} |`
  })
  return [
    '| code | status | OpenAI `type` | Anthropic `type` | retryable | param | message | details |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows
  ].join('\n')
}
