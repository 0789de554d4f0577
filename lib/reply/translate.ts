// Anything thrown, or passed to reply.send(err), becomes exactly one catalog code.
import { catalog, isGatewayErrorCode, type GatewayErrorCode } from '../catalog/catalog'
import { GatewayError, hasTrustedDetails, isGatewayError, trustDetails } from './gateway-error'
import { redactString } from '../upstream/redact'

/**
 * A Fastify schemaErrorFormatter: validation failures become GatewayErrors at once, so Fastify does
 * not build a message string and an Error with a stack that the error handler would throw away.
 */
export function validationErrorFormatter (errors: readonly AjvError[]): Error {
  const translation = translateValidation(errors)
  return trustDetails(new GatewayError(translation.code, translation.details as never))
}

export interface Translation {
  code: GatewayErrorCode
  details?: Record<string, unknown>
  /** Whether the original error is unexpected and must be logged at error level. */
  unexpected: boolean
  /** The details were built here from known fields, already redacted: no copy needed. */
  trusted?: boolean
}

interface AjvError {
  keyword?: unknown
  instancePath?: unknown
  params?: Record<string, unknown>
  message?: unknown
}

// The nearest code for an error that only brings an HTTP status.
const CODE_BY_STATUS: Readonly<Record<number, GatewayErrorCode>> = {
  400: 'invalid_request',
  401: 'invalid_api_key',
  402: 'insufficient_quota',
  403: 'insufficient_permissions',
  404: 'resource_not_found',
  405: 'method_not_allowed',
  409: 'state_precondition_failed',
  410: 'resource_not_found',
  412: 'state_precondition_failed',
  413: 'payload_too_large',
  422: 'invalid_request',
  429: 'rate_limit_exceeded',
  500: 'internal_error',
  502: 'upstream_error',
  503: 'service_unavailable',
  504: 'upstream_timeout'
}

const FASTIFY_REASONS: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported Content-Type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty but Content-Type is application/json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  FST_ERR_BAD_URL: 'the URL is malformed'
}

/** What the reply already carries when the error reaches the handler, e.g. a limiter's retry-after. */
export interface TranslationHints {
  retryAfterMs?: number | undefined
}

const VALUE_KEYWORDS = new Set([
  'type', 'enum', 'const', 'format', 'pattern', 'multipleOf',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'minLength', 'maxLength', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties'
])

/** `/messages/0/role` → `messages[0].role` */
export function fieldPath (instancePath: string, child?: unknown): string {
  const segments = instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (typeof child === 'string' && child !== '') segments.push(child)
  let path = ''
  for (const segment of segments) {
    path += /^\d+$/.test(segment) ? `[${segment}]` : (path === '' ? segment : `.${segment}`)
  }
  return redactString(path, 120)
}

export function translateValidation (errors: readonly AjvError[]): Translation {
  const named = (e: AjvError): boolean =>
    e.keyword === 'required' || e.keyword === 'additionalProperties' || VALUE_KEYWORDS.has(String(e.keyword))
  const error = errors.find(named) ?? errors[0]
  const path = typeof error?.instancePath === 'string' ? error.instancePath : ''
  const reason = typeof error?.message === 'string' ? redactString(error.message, 160) : undefined
  switch (error?.keyword) {
    case 'required':
      return {
        code: 'missing_required_parameter',
        details: { param: fieldPath(path, error.params?.missingProperty) },
        unexpected: false,
        trusted: true
      }
    case 'additionalProperties':
      return {
        code: 'unknown_field',
        details: { param: fieldPath(path, error.params?.additionalProperty) },
        unexpected: false,
        trusted: true
      }
  }
  if (path !== '' && VALUE_KEYWORDS.has(String(error?.keyword))) {
    const details = reason === undefined ? { param: fieldPath(path) } : { param: fieldPath(path), reason }
    return { code: 'invalid_parameter_value', details, unexpected: false, trusted: true }
  }
  const details = path === '' ? {} : { param: fieldPath(path) }
  return {
    code: 'invalid_request',
    details: reason === undefined ? details : { ...details, reason },
    unexpected: false,
    trusted: true
  }
}

function statusOf (error: Record<string, unknown>): number | undefined {
  const status = error.statusCode ?? error.status
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599 ? status : undefined
}

// A limiter's ban (@fastify/rate-limit answers a ban with 403) is the consequence of a limit.
function isLimit (error: Record<string, unknown>, status: number, hints: TranslationHints): boolean {
  if (status === 429) return true
  if (status !== 403) return false
  const saysLimit = typeof error.message === 'string' && /rate.?limit/i.test(error.message.slice(0, 200))
  return error.ban === true || hints.retryAfterMs !== undefined || saysLimit
}

/**
 * Translates anything thrown into one catalog code and its details. Never throws. `known` says
 * which codes a GatewayError may carry: the app's registry knows its own codes too.
 */
export function translateError (
  error: unknown,
  hints: TranslationHints = {},
  known: (code: unknown) => boolean = isGatewayErrorCode
): Translation {
  if (typeof error !== 'object' || error === null) return { code: 'internal_error', unexpected: true }
  try {
    if (isGatewayError(error)) {
      if (!known(error.code)) return { code: 'internal_error', unexpected: true }
      const details = error.details as Record<string, unknown> | undefined
      return { code: error.code, details, unexpected: false, trusted: hasTrustedDetails(error) }
    }
    const err = error as Record<string, unknown>
    if (Array.isArray(err.validation) && err.validation.length > 0) {
      return translateValidation(err.validation as AjvError[])
    }
    const fastifyCode = typeof err.code === 'string' ? err.code : undefined
    if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') return { code: 'payload_too_large', unexpected: false }
    if (fastifyCode !== undefined && Object.hasOwn(FASTIFY_REASONS, fastifyCode)) {
      return {
        code: 'invalid_request',
        details: { reason: FASTIFY_REASONS[fastifyCode] },
        unexpected: false,
        trusted: true
      }
    }
    const status = statusOf(err)
    if (status === undefined) return { code: 'internal_error', unexpected: true }
    if (isLimit(err, status, hints)) {
      const details = hints.retryAfterMs === undefined ? {} : { retry_after_ms: hints.retryAfterMs }
      return { code: 'rate_limit_exceeded', details, unexpected: false, trusted: true }
    }
    const code = CODE_BY_STATUS[status] ?? (status < 500 ? 'invalid_request' : 'internal_error')
    if (code === 'invalid_request' && err.expose === true && typeof err.message === 'string') {
      return { code, details: { reason: redactString(err.message, 160) }, unexpected: false }
    }
    if (hints.retryAfterMs !== undefined && catalog[code].retryable) {
      return { code, details: { retry_after_ms: hints.retryAfterMs }, unexpected: false, trusted: true }
    }
    // Load shedding (503) and upstream statuses are raised on purpose; an unknown 5xx is not.
    return { code, unexpected: code === 'internal_error' }
  } catch {
    return { code: 'internal_error', unexpected: true } // a hostile object: getters that throw, proxies
  }
}
