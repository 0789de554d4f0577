// A reference page per code, generated from the catalog: what `docsRoute` serves (HTML for browsers,
// JSON when asked) and what `doc_url` links to. The SDK classes are the ones the conformance tests
// see each SDK raise.
import type { CatalogEntry, GatewayErrorCode } from '../catalog/catalog'
import { baseRegistry, type Registry } from '../catalog/registry'
import { commonDetailNames } from '../catalog/details'
import { envelopes } from '../reply/envelopes'
import { anthropicType } from '../reply/envelopes/anthropic'
import { exampleBody } from '../reply/schemas'

const OPENAI_CLASS: Readonly<Record<number, string>> = {
  400: 'BadRequestError',
  401: 'AuthenticationError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
  409: 'ConflictError',
  422: 'UnprocessableEntityError',
  429: 'RateLimitError'
}
const ANTHROPIC_CLASS: Readonly<Record<number, string>> = {
  ...OPENAI_CLASS,
  413: 'ContentTooLargeError',
  503: 'ServiceUnavailableError',
  504: 'GatewayTimeoutError',
  529: 'OverloadedError'
}

export interface ErrorReference {
  code: GatewayErrorCode
  status: number
  message: string
  type: string
  anthropic_type: string
  retryable: boolean
  retry: string
  param: string | null
  remedy: string
  /** Details are optional on every reply; `always`: present whenever the reply carries details. */
  details: Array<{ name: string, always: boolean }>
  sdk: { openai: string, anthropic: string, ai_sdk: string }
  examples: Record<string, unknown>
}

function remedyFor (entry: CatalogEntry): string {
  if (entry.retryable) return 'Nothing to change: send the same request again, after the wait the reply states, if any.'
  if (entry.status === 401) return 'Send a valid, current credential for this gateway.'
  if (entry.status === 403) return 'Use a key with the scope, plan or verification the action needs, or ask for access.'
  if (entry.status === 429) return 'Raise the budget or quota, or wait for it to renew: retrying now cannot succeed.'
  if (entry.status === 404) return 'Check the identifier in the request.'
  if (entry.status === 405) return 'Use one of the methods the `Allow` header lists.'
  if (entry.status === 409) {
    return 'Use another identifier, or send the payload first sent with this key, ' +
      'or change the resource\'s state first.'
  }
  if (entry.status === 413) return 'Send a smaller request body.'
  if (entry.status >= 500) return 'Report it to the gateway\'s operator with the request id.'
  if ('max_context_tokens' in entry.details.properties) {
    return 'Shorten the input (`messages`), or choose a model with a larger context window.'
  }
  if ('providers' in entry.details.properties) {
    const change = entry.param === null ? 'the routing constraints' : `\`${entry.param}\``
    return `Choose another model, or change ${change}; \`details.providers\` says what each provider lacks.`
  }
  return 'Fix the request as the message says; `param` names the field at fault when there is one.'
}

function retryText (entry: CatalogEntry): string {
  if (entry.status === 0) return 'Never sent: the client had gone.'
  if (!entry.retryable) return 'Do not retry: the same request fails the same way. `x-should-retry: false`.'
  return 'Retry: `x-should-retry: true`, after `retry-after-ms` / `retry-after` when given (at most 59 s), ' +
    'else with backoff.'
}

// The Vercel AI SDK decides by status alone.
const aiSdkRetries = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500

/** Everything a page says about one code; `docUrl` is the link its example bodies carry. */
export function errorReference (
  code: GatewayErrorCode,
  docUrl: string,
  registry: Registry = baseRegistry
): ErrorReference {
  const entry = registry.catalog[code]
  const required = new Set(entry.details.required ?? [])
  const sendable = entry.status !== 0
  return {
    code,
    status: entry.status,
    message: entry.message,
    type: entry.type,
    anthropic_type: anthropicType(entry),
    retryable: entry.retryable,
    retry: retryText(entry),
    param: entry.param,
    remedy: sendable ? remedyFor(entry) : 'Nothing: it is recorded for the operator, never sent.',
    details: Object.keys(entry.details.properties).filter((name) => !commonDetailNames.has(name))
      .map((name) => ({ name, always: required.has(name) })),
    sdk: {
      openai: sendable ? OPENAI_CLASS[entry.status] ?? (entry.status >= 500 ? 'InternalServerError' : 'APIError') : '',
      anthropic: sendable
        ? ANTHROPIC_CLASS[entry.status] ??
        (entry.status >= 500 ? 'InternalServerError' : 'APIError')
        : '',
      ai_sdk: sendable ? `APICallError (isRetryable: ${String(aiSdkRetries(entry.status))})` : ''
    },
    examples: sendable
      ? Object.fromEntries(Object.values(envelopes).map((envelope) => [
        envelope.name,
        exampleBody(envelope, code, docUrl, registry)
      ]))
      : {}
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
/** Escaped text, with `backticks` shown as code. */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>')

// Long snake_case codes and JSON strings wrap anywhere: nothing scrolls sideways on a phone.
const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}' +
  'code,pre{font:14px/1.4 ui-monospace,monospace;background:#f4f4f4}' +
  'pre{padding:.75rem;white-space:pre-wrap;overflow-wrap:anywhere}' +
  'h1{overflow-wrap:anywhere}h1 code{font-size:inherit;background:none}' +
  'table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;' +
  'vertical-align:top;overflow-wrap:anywhere}'

function page (title: string, body: string): string {
  return '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`
}

/** The list of every code, linking to each page under `base` (the docs route). */
export function indexPage (base: string, registry: Registry = baseRegistry): string {
  const rows = registry.codes.map((code) => {
    const entry = registry.catalog[code]
    const status = entry.status === 0 ? '—' : entry.status
    return `<tr><td><a href="${escapeHtml(`${base}/${code}`)}"><code>${code}</code></a></td><td>${status}</td>` +
      `<td>${entry.retryable ? 'yes' : 'no'}</td><td>${escapeHtml(entry.message)}</td></tr>`
  }).join('')
  const head = '<thead><tr><th>code</th><th>status</th><th>retry</th><th>message</th></tr></thead>'
  return page('Error codes', '<h1>Error codes</h1>' +
    `<p>Every error this gateway replies with: ${registry.codes.length} codes.</p>` +
    `<table>${head}<tbody>${rows}</tbody></table>`)
}

function detailsText (details: ErrorReference['details']): string | undefined {
  if (details.length === 0) return undefined
  const names = details.map((detail) => `<code>${detail.name}</code>`).join(' ')
  const always = details.filter((detail) => detail.always).map((detail) => `<code>${detail.name}</code>`)
  return always.length === 0
    ? `${names} (each optional)`
    : `${names}. A reply may carry no details; when it does, ${always.join(' and ')} ` +
      `${always.length === 1 ? 'is' : 'are'} always there.`
}

/** The page of one code. */
export function codePage (reference: ErrorReference, base: string): string {
  const facts: Array<[string, string | undefined]> = [
    ['HTTP status', reference.status === 0 ? 'none (never sent)' : String(reference.status)],
    ['Message', escapeHtml(reference.message)],
    ['OpenAI <code>type</code>', `<code>${reference.type}</code>`],
    ['Anthropic <code>error.type</code>', `<code>${reference.anthropic_type}</code>`],
    ['Retry', prose(reference.retry)],
    ['What to do', prose(reference.remedy)],
    [
      'Field (<code>param</code>)',
      reference.param === null ? undefined : `<code>${escapeHtml(reference.param)}</code>`
    ],
    ['Details', detailsText(reference.details)],
    ['openai SDK raises', reference.sdk.openai === '' ? undefined : `<code>${reference.sdk.openai}</code>`],
    [
      '@anthropic-ai/sdk raises',
      reference.sdk.anthropic === '' ? undefined : `<code>${reference.sdk.anthropic}</code>`
    ],
    [
      'Vercel AI SDK raises',
      reference.sdk.ai_sdk === '' ? undefined : `<code>${escapeHtml(reference.sdk.ai_sdk)}</code>`
    ]
  ]
  const rows = facts.filter((fact): fact is [string, string] => fact[1] !== undefined)
  const examples = Object.entries(reference.examples)
    .map(([name, body]) => `<h3>${name}</h3><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre>`).join('')
  return page(reference.code, `<p><a href="${escapeHtml(base)}">All error codes</a></p>` +
    `<h1><code>${reference.code}</code></h1>` +
    `<table><tbody>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</tbody></table>` +
    (examples === '' ? '' : `<h2>Example bodies (without details)</h2>${examples}`))
}

/** For a browser asking for a code that does not exist; the code asked for is not echoed. */
export function unknownCodePage (base: string): string {
  return page('Unknown error code', '<h1>Unknown error code</h1><p>This gateway has no error with that code. ' +
    `<a href="${escapeHtml(base)}">All error codes</a></p>`)
}
