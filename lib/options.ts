// The plugin's options: one table says what each accepts and its default; register-time checks
// and defaults are read from it.
import type { FastifyRequest } from 'fastify'
import type { ExtraCodeDefinition } from './catalog/catalog'
import { envelopeNames, isEnvelopeName, type EnvelopeName } from './reply/envelopes'
import type { GatewayErrorEvent } from './reply/sender'
import type { StreamEndEvent } from './reply/event-stream'

export const PREFIX = 'fastify-gateway-errors'

export interface GatewayErrorsOptions {
  /** The envelope of error replies, unless a route chooses another. Default `openai`. */
  envelope?: EnvelopeName
  /** Serve RFC 9457 problem details to clients that send `Accept: application/problem+json`. Default false. */
  negotiate?: boolean
  /**
   * Picks the envelope per request; return undefined to keep the route's. E.g. `(req) =>
   * req.headers['anthropic-version'] ? 'anthropic' : undefined`.
   */
  envelopeFor?: (request: FastifyRequest) => EnvelopeName | undefined
  /**
   * Install the plugin's error handler. Set false when the app has its own; call
   * `reply.gatewayErrorFrom(err)` there. Default true.
   */
  errorHandler?: boolean
  /** Install the not-found handler (404 resource_not_found, or 405 method_not_allowed with Allow). Default true. */
  notFoundHandler?: boolean
  /**
   * The error responses `withGatewayErrors` documents for every route registered after the plugin:
   * `true` (default) one per status; `'ranges'` one for 4xx and one for 5xx; `false` none. Replies
   * are serialized by the plugin's own schemas whatever this says.
   */
  routeSchemas?: boolean | 'ranges'
  /** Called once for every gateway error, client_disconnected included. For logs and metrics. */
  onGatewayError?: (event: GatewayErrorEvent) => void
  /**
   * Called once for every provider stream from `fetchUpstream({ raw: true })` sent with
   * `reply.send(stream)`, when it ends, whichever way (completed, failed, the client left): what it
   * delivered, with the request it answered. One place to bill streams from.
   */
  onStreamEnd?: (event: StreamEndEvent) => void
  /** Check details against the code's schema and log a warning on mismatch. Default: not in production. */
  checkDetails?: boolean
  /**
   * When a route emits a code it did not declare: `warn` (log), `error` (log and reply
   * internal_error), `throw` (reply.gatewayError throws, so a test fails loudly) or `off`.
   * Default: `warn`, `off` in production.
   */
  undeclaredCodes?: 'off' | 'warn' | 'error' | 'throw'
  /**
   * Record client_disconnected for every request whose client leaves before the reply completes,
   * even when no error follows. With false, only errors that surface after a disconnect are
   * recorded. `request.abortSignal` fires in both cases. Default true.
   */
  trackDisconnects?: boolean
  /**
   * Send the request id as `x-request-id` (and `request-id` on Anthropic routes) on every reply,
   * not only errors. Default true.
   */
  requestIdHeader?: boolean
  /** Options for fast-json-stringify, as Fastify's own `serializerOpts`. */
  serializerOpts?: Record<string, unknown>
  /**
   * Where each code's page lives, e.g. `https://docs.example.com/errors`: every error body links to
   * `${docsUrl}/${code}` (`error.doc_url`; `error.details.doc_url` for Anthropic; the problem's `type`).
   */
  docsUrl?: string
  /** Serve the error reference at this path, e.g. `/errors` (a list) and `/errors/:code` (a page per code). */
  docsRoute?: string
  /**
   * Codes of the gateway's own, e.g. `{ guardrail_blocked: { status: 403, message: 'Blocked by a
   * guardrail policy' } }`: they work wherever a catalog code does. `retryable` defaults to
   * `status >= 500`. Declare them for the compiler too (see `GatewayErrorExtraCodes`).
   */
  extraCodes?: Record<string, ExtraCodeDefinition>
  /**
   * Spread the retries of a fleet's clients: the wait stated for a shared-capacity code
   * (`service_unavailable`, `model_unavailable`, `no_provider_available` by default; add
   * `rate_limit_exceeded` when a limiter's window is shared) gets up to `ratio` of itself added at
   * random (0.5 by default: a 1 s wait becomes 1–1.5 s), the same in the headers and the details,
   * still capped at 59 s. `false` for exact waits.
   */
  retryJitter?: false | { ratio?: number, codes?: string[] }
  /**
   * The interval, in ms, over which the logs of one repeating cause are counted: an upstream fault
   * or an outage is logged in full once, then one line per interval says how many more times it
   * happened. Default 10,000; `false` logs every occurrence in full.
   */
  logRepeatsMs?: number | false
}

interface OptionRule {
  valid: (value: unknown) => boolean
  expected: string
  default?: (production: boolean) => unknown
}

const isBoolean = (value: unknown) => typeof value === 'boolean'
const isFunction = (value: unknown) => typeof value === 'function'
function isBaseUrl (value: unknown): boolean {
  if (typeof value !== 'string' || value.endsWith('/')) return false
  try {
    const url = new URL(value)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === ''
  } catch {
    return false
  }
}
const oneOf = (values: readonly unknown[]) => (value: unknown) => values.includes(value)
const flag = (fallback: boolean | ((production: boolean) => boolean)): OptionRule =>
  ({ valid: isBoolean, expected: 'a boolean', default: typeof fallback === 'function' ? fallback : () => fallback })

const OPTIONS: Record<keyof GatewayErrorsOptions, OptionRule> = {
  envelope: { valid: isEnvelopeName, expected: `one of ${envelopeNames.join(', ')}`, default: () => 'openai' },
  negotiate: flag(false),
  envelopeFor: { valid: isFunction, expected: 'a function' },
  errorHandler: flag(true),
  notFoundHandler: flag(true),
  routeSchemas: { valid: oneOf([true, false, 'ranges']), expected: "true, false or 'ranges'", default: () => true },
  onGatewayError: { valid: isFunction, expected: 'a function' },
  onStreamEnd: { valid: isFunction, expected: 'a function' },
  checkDetails: flag((production) => !production),
  undeclaredCodes: {
    valid: oneOf(['off', 'warn', 'error', 'throw']),
    expected: "'off', 'warn', 'error' or 'throw'",
    default: (production) => production ? 'off' : 'warn'
  },
  trackDisconnects: flag(true),
  requestIdHeader: flag(true),
  serializerOpts: { valid: (value) => value !== null && typeof value === 'object', expected: 'an object' },
  docsUrl: {
    valid: isBaseUrl,
    expected: 'an absolute http(s) URL without a query, e.g. https://docs.example.com/errors'
  },
  extraCodes: {
    valid: (value) => value !== null && typeof value === 'object' && !Array.isArray(value),
    expected: 'an object of code: { status, message }'
  },
  docsRoute: {
    valid: (value) => typeof value === 'string' && /^\/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$/.test(value),
    expected: "a path such as '/errors'"
  },
  retryJitter: {
    valid: (value) => value === false || (isPlainObject(value) && isJitter(value as JitterInput)),
    expected: 'false or { ratio?: a number above 0 and at most 1, codes?: an array of code names }',
    default: () => ({})
  },
  logRepeatsMs: {
    valid: (value) => value === false ||
      (Number.isInteger(value) && (value as number) >= 100 && (value as number) < 2 ** 31),
    expected: 'false or a whole number of ms from 100 to 2147483647',
    default: () => 10_000
  }
}

function isPlainObject (value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

interface JitterInput { ratio?: unknown, codes?: unknown }

function isJitter ({ ratio, codes }: JitterInput): boolean {
  return (ratio === undefined || (typeof ratio === 'number' && ratio > 0 && ratio <= 1)) &&
    (codes === undefined || (Array.isArray(codes) && codes.every((code) => typeof code === 'string')))
}

type Defaulted = 'envelope' | 'negotiate' | 'errorHandler' | 'notFoundHandler' | 'routeSchemas' |
  'checkDetails' | 'undeclaredCodes' | 'trackDisconnects' | 'requestIdHeader' | 'retryJitter' | 'logRepeatsMs'
export type ResolvedOptions = Required<Pick<GatewayErrorsOptions, Defaulted>> & GatewayErrorsOptions

export function fail (message: string): never {
  throw new TypeError(`${PREFIX}: ${message}`)
}

/** Checks the options at register time and fills in the defaults (which depend on NODE_ENV). */
export function validateOptions (input: unknown): ResolvedOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) fail('options must be an object')
  const given = input as Record<string, unknown>
  const production = process.env.NODE_ENV === 'production'
  const resolved: Partial<ResolvedOptions> & Record<string, unknown> = { ...given }
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(OPTIONS, key)) fail(`unknown option '${key}'; known options: ${Object.keys(OPTIONS).join(', ')}`)
  }
  for (const [key, rule] of Object.entries(OPTIONS)) {
    const value = given[key]
    if (value === undefined) {
      if (rule.default !== undefined) resolved[key] = rule.default(production)
    } else if (!rule.valid(value)) {
      fail(`option '${key}' must be ${rule.expected}`)
    }
  }
  return resolved as ResolvedOptions
}
