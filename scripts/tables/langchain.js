'use strict'
// What LangChain JS makes of each catalog code: ChatOpenAI (@langchain/openai, openai SDK 6) and
// ChatAnthropic (@langchain/anthropic, which pins @anthropic-ai/sdk 0.x). The first rule that
// matches a code applies. test/example/conformance-langchain.test.ts checks every chat code against these
// rules through the real clients; the README's table is generated from them (`npm run docs`).
// `error` is LangChain's name for the error when it gives one, else the SDK's class.

/** @typedef {{ error: string, lc?: string }} Outcome */
/** @type {{ label: string, match: (code: string, entry: { status: number, message: string }) => boolean, openai: Outcome, anthropic: Outcome, retried: boolean, why: string }[]} */
const rules = [
  {
    label: '`context_length_exceeded`',
    match: (code) => code === 'context_length_exceeded',
    openai: { error: 'ContextOverflowError' },
    anthropic: { error: 'ContextOverflowError', lc: 'CONTEXT_OVERFLOW' },
    retried: false,
    why: 'the message carries "maximum context length" and "prompt is too long", the phrases LangChain looks for'
  },
  {
    label: '`budget_exhausted`',
    match: (code) => code === 'budget_exhausted',
    openai: { error: 'RateLimitQuotaExhaustedError', lc: 'MODEL_RATE_LIMIT' },
    anthropic: { error: 'RateLimitQuotaExhaustedError', lc: 'MODEL_RATE_LIMIT' },
    retried: false,
    why: 'the message carries "usage quota exhausted", which LangChain reads as a quota that will not come back'
  },
  {
    label: '`insufficient_quota`',
    match: (code) => code === 'insufficient_quota',
    openai: { error: 'InsufficientQuotaError', lc: 'MODEL_RATE_LIMIT' },
    anthropic: { error: 'RateLimitQuotaExhaustedError', lc: 'MODEL_RATE_LIMIT' },
    retried: false,
    why: 'ChatOpenAI reads `err.code`; ChatAnthropic finds "insufficient_quota" in the body it quotes'
  },
  {
    label: '`rate_limit_exceeded`',
    match: (code) => code === 'rate_limit_exceeded',
    openai: { error: 'RateLimitError', lc: 'MODEL_RATE_LIMIT' },
    anthropic: { error: 'RateLimitError', lc: 'MODEL_RATE_LIMIT' },
    retried: true,
    why: 'a `Retry-After` under 60 s: LangChain waits and retries'
  },
  {
    label: '400 codes whose message names a tool',
    match: (_code, entry) => entry.status === 400 && entry.message.includes('tool'),
    openai: { error: 'BadRequestError' },
    anthropic: { error: 'BadRequestError', lc: 'INVALID_TOOL_RESULTS' },
    retried: false,
    why: 'ChatAnthropic tags any 400 whose body contains "tool"; the catalog message cannot avoid the word'
  },
  { label: 'other 400 codes', match: (_code, entry) => entry.status === 400, openai: { error: 'BadRequestError' }, anthropic: { error: 'BadRequestError' }, retried: false, why: 'by status' },
  {
    label: '401 codes',
    match: (_code, entry) => entry.status === 401,
    openai: { error: 'AuthenticationError', lc: 'MODEL_AUTHENTICATION' },
    anthropic: { error: 'AuthenticationError', lc: 'MODEL_AUTHENTICATION' },
    retried: false,
    why: 'by status'
  },
  { label: '403 codes', match: (_code, entry) => entry.status === 403, openai: { error: 'PermissionDeniedError' }, anthropic: { error: 'PermissionDeniedError' }, retried: false, why: 'by status' },
  {
    label: '404 codes',
    match: (_code, entry) => entry.status === 404,
    openai: { error: 'NotFoundError', lc: 'MODEL_NOT_FOUND' },
    anthropic: { error: 'NotFoundError', lc: 'MODEL_NOT_FOUND' },
    retried: false,
    why: 'by status (LangChain says MODEL_NOT_FOUND for any 404)'
  },
  { label: '409 codes', match: (_code, entry) => entry.status === 409, openai: { error: 'ConflictError' }, anthropic: { error: 'ConflictError' }, retried: false, why: 'by status' },
  { label: '405 and 413 codes', match: (_code, entry) => entry.status === 405 || entry.status === 413, openai: { error: 'APIError' }, anthropic: { error: 'APIError' }, retried: false, why: 'by status' },
  {
    label: '`internal_error` (500)',
    match: (code) => code === 'internal_error',
    openai: { error: 'InternalServerError' },
    anthropic: { error: 'InternalServerError' },
    retried: true,
    why: 'LangChain retries any 500 and ignores `x-should-retry: false`: pass `gatewayRetryPolicy` as `onFailedAttempt`'
  },
  { label: 'retryable 5xx codes', match: (_code, entry) => entry.status >= 500, openai: { error: 'InternalServerError' }, anthropic: { error: 'InternalServerError' }, retried: true, why: 'by status, as the gateway advises' }
]

/** The rule for one code. */
function langchainRule (code, entry) {
  const rule = rules.find((candidate) => candidate.match(code, entry))
  if (rule === undefined) throw new Error(`no LangChain rule covers ${code} (status ${entry.status})`)
  return rule
}

function outcome ({ error, lc }) {
  return lc === undefined ? `\`${error}\`` : `\`${error}\`, \`${lc}\``
}

function langchainTable () {
  return [
    '| codes | ChatOpenAI | ChatAnthropic | LangChain retries | why |',
    '| --- | --- | --- | --- | --- |',
    ...rules.map((rule) => `| ${rule.label} | ${outcome(rule.openai)} | ${outcome(rule.anthropic)} | ${rule.retried ? 'yes' : 'no'} | ${rule.why} |`)
  ].join('\n')
}

module.exports = { langchainRule, langchainTable, rules }
