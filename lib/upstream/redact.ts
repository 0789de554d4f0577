// Anything a caller or a provider sent can end up in an error message or in details: API keys
// pasted into the wrong field, a provider echoing a key or an internal URL, control characters,
// megabytes of text. Everything from outside goes through here. Input is clipped before any
// expression runs, and every expression is linear: no nested or overlapping quantifiers.
import { anyOf, compose } from './patterns'

const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g // eslint-disable-line no-control-regex
const MAX_STRING = 200
const MAX_DEPTH = 6
const MAX_KEYS = 50

/** `sk-proj-abc…wxyz` → `sk-…wxyz`: enough to recognise one's own key, not enough to use it. */
export function maskSecret (secret: string): string {
  const prefix = /^[A-Za-z]{1,12}[-_]/.exec(secret)?.[0] ?? ''
  return `${prefix}…${secret.slice(-4)}`
}

const JWT_START = 'eyJ' // '{"' in base64url: every JWT's header begins so

/**
 * A run of token characters with every JWT in it (`eyJ` + 6 or more, `.`, 6 or more, optionally `.`
 * and a signature) masked. The run is split at its dots once: linear, whatever the run holds.
 */
function maskJwts (run: string): string {
  // Stryker disable next-line ConditionalExpression,BlockStatement: a fast path, same output
  if (!run.includes(JWT_START)) return run
  const parts = run.split('.')
  const kept: string[] = []
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string
    const start = part.indexOf(JWT_START)
    const next = parts[i + 1]
    if (start === -1 || part.length - start < JWT_START.length + 6 || next === undefined || next.length < 6) {
      kept.push(part)
      continue
    }
    kept.push(`${part.slice(0, start)}eyJ…`)
    i += 2 // past the payload, and the signature when there is one
  }
  return kept.join('.')
}

/** Each: what a secret looks like, and what it becomes. */
const SECRET_NAMES = [
  'api[_-]?key', 'apikey', 'key', 'token', 'access_token', 'refresh_token', 'password', 'passwd', 'pwd', 'secret',
  'client_secret',
  'signature', 'sig', 'x-api-key'
].join('|')

const SECRETS: ReadonlyArray<readonly [RegExp, (match: string, ...groups: string[]) => string]> = [
  // Authorization header values: Bearer (JWTs among them) and Basic
  [/\b(Bearer|Basic)\s{1,4}[A-Za-z0-9._~+/=-]{6,}/gi, (_m, scheme) => `${scheme} …`],
  // JSON Web Tokens anywhere: found in runs of token characters by maskJwts, not by one expression
  // (`eyJ[…]{6,}\.` is tried at each "eyJ" of a long run, each try rescanning the run: quadratic).
  [/[A-Za-z0-9_.-]{15,}/g, (run) => maskJwts(run)],
  // key=value in URLs, forms and logs: keys, tokens, passwords, signatures
  [
    compose(String.raw`\b(${SECRET_NAMES})(=|:\s?|"\s?:\s?")([^&\s"',;]{1,})`, 'gi'),
    (_m, name, sep) => `${name}${sep}…`
  ],
  // AWS access key ids; Google API keys; GitHub and Slack tokens
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, maskSecret],
  [/\bAIza[0-9A-Za-z_-]{20,}/g, () => 'AIza…'],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, maskSecret],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, maskSecret],
  // sk-/pk-/rk- keys of any length worth the name, and other prefixed keys
  [/\b(?:sk|pk|rk|ak)[-_][A-Za-z0-9_-]{6,}/gi, maskSecret],
  [/\b(?:key|api|token|sess)[-_][A-Za-z0-9_-]{12,}/gi, maskSecret],
  // long runs that look random (AWS secret keys, hex tokens, base64)
  [
    /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{32,}={0,2}(?![A-Za-z0-9/+])/g,
    (match) => match.includes('/') && !/\d/.test(match) ? match : maskSecret(match)
  ],
  // private and loopback addresses
  [anyOf([
    String.raw`\b(?:10|127)\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`,
    String.raw`\b192\.168\.\d{1,3}\.\d{1,3}\b`,
    String.raw`\b172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}\b`,
    String.raw`\b169\.254\.\d{1,3}\.\d{1,3}\b`
  ], 'g'), () => '[internal]'],
  // internal host names: *.internal, *.local, *.svc, *.cluster.local, *.corp, *.lan
  [
    /(?<![\w.-])[\w-]{1,63}(?:\.[\w-]{1,63}){0,6}\.(?:internal|local|localdomain|svc|corp|lan|intranet)\b/gi,
    () => '[internal]'
  ]
]

// One cheap test answers the common case (a short, clean string) without building a new one.
// Stryker disable ArrayDeclaration,StringLiteral: an emptied alternative matches every string (slower, same output)
const NEEDS_WORK = anyOf([
  String.raw`[\u0000-\u001f\u007f\u2028\u2029]`, 'bearer', 'basic', 'eyJ', '[=:]', 'AKIA', 'ASIA', 'AIza',
  'gh[pousr]_', 'github_pat', 'xox',
  String.raw`\b(?:sk|pk|rk|ak|key|api|token|sess)[-_]`, String.raw`(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{32}`,
  String.raw`\d\.\d`,
  String.raw`\.(?:internal|local|svc|corp|lan|intranet)`
], 'i')
// Stryker restore ArrayDeclaration,StringLiteral

export function redactString (value: string, max = MAX_STRING): string {
  // Stryker disable next-line all: clipping first bounds the work; the output is clipped to `max` anyway
  const clipped = value.length > max * 4 ? value.slice(0, max * 4) : value
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the fast path; the full path gives the same text
  if (clipped.length <= max && !NEEDS_WORK.test(clipped)) return clipped
  let clean = clipped.replace(CONTROL, ' ')
  for (const [pattern, replace] of SECRETS) {
    clean = clean.replace(
      pattern,
      replace as (match: string, ...groups: string[]) => string
    )
  }
  return clean.length > max ? `${clean.slice(0, max)}…` : clean
}

/**
 * A JSON-safe, redacted copy of caller-supplied details: cycles cut, getters that throw skipped,
 * depth, width and string length bounded, `__proto__` and functions dropped.
 */
export function toSafeJson (value: unknown, depth = 0, seen: Set<object> = new Set()): unknown {
  switch (typeof value) {
    case 'string':
      return redactString(value)
    case 'number':
      return Number.isFinite(value) ? value : null
    case 'boolean':
      return value
    case 'bigint':
      return value.toString()
    case 'object':
      break
    default:
      return undefined
  }
  if (value === null || depth >= MAX_DEPTH || seen.has(value)) return null
  seen.add(value)
  let copy: unknown
  try {
    copy = Array.isArray(value)
      ? value.slice(0, MAX_KEYS).map((item) => toSafeJson(
        item,
        depth + 1,
        seen
      ) ?? null)
      : copyObject(value, depth, seen)
  } catch {
    copy = null // a hostile object: a proxy whose traps throw
  }
  seen.delete(value)
  return copy
}

function copyObject (value: object, depth: number, seen: Set<object>): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  let count = 0
  for (const key in value) {
    if (count++ >= MAX_KEYS) break // a hostile object of 200,000 keys costs 50 reads, not 200,000
    if (key === '__proto__' || !Object.hasOwn(value, key)) continue
    let item: unknown
    // Stryker disable BlockStatement: without `continue`, the unread item is undefined and left out all the same
    try {
      item = (value as Record<string, unknown>)[key]
    } catch {
      continue
    }
    // Stryker restore BlockStatement
    const safe = toSafeJson(item, depth + 1, seen)
    if (safe !== undefined) copy[redactString(key, 64)] = safe
  }
  return copy
}
