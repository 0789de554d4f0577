// Anything a caller sent can end up in an error message or in details: API keys pasted into the
// wrong field, control characters, megabytes of text. Everything user-derived goes through here.

const SECRET = /\b(?:sk|pk|rk|ak|key|api|token|sess|bearer)[-_][A-Za-z0-9_-]{12,}|\b[A-Za-z0-9]{32,}\b/gi
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g // eslint-disable-line no-control-regex
const MAX_STRING = 200
const MAX_DEPTH = 6
const MAX_KEYS = 50

/** `sk-proj-abc…wxyz` → `sk-…wxyz`: enough to recognise one's own key, not enough to use it. */
export function maskSecret (secret: string): string {
  const prefix = /^[A-Za-z]+[-_]/.exec(secret)?.[0] ?? ''
  return `${prefix}…${secret.slice(-4)}`
}

// One test answers the common case (a short, clean string) without building a new one.
const NEEDS_WORK = /[\u0000-\u001f\u007f\u2028\u2029]|\b(?:sk|pk|rk|ak|key|api|token|sess|bearer)[-_]|[A-Za-z0-9]{32}/i // eslint-disable-line no-control-regex

export function redactString (value: string, max = MAX_STRING): string {
  if (value.length <= max && !NEEDS_WORK.test(value)) return value
  const clipped = value.length > max * 4 ? value.slice(0, max * 4) : value
  const clean = clipped.replace(CONTROL, ' ').replace(SECRET, maskSecret)
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
    copy = Array.isArray(value) ? value.slice(0, MAX_KEYS).map((item) => toSafeJson(item, depth + 1, seen) ?? null) : copyObject(value, depth, seen)
  } catch {
    copy = null // a hostile object: a proxy whose traps throw
  }
  seen.delete(value)
  return copy
}

function copyObject (value: object, depth: number, seen: Set<object>): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  let count = 0
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || count++ >= MAX_KEYS) continue
    let item: unknown
    try {
      item = (value as Record<string, unknown>)[key]
    } catch {
      continue
    }
    const safe = toSafeJson(item, depth + 1, seen)
    if (safe !== undefined) copy[redactString(key, 64)] = safe
  }
  return copy
}
