import { catalog, isGatewayErrorCode, type GatewayErrorCode, type GatewayErrorDetails } from './catalog'
import { messageFor } from './message'

/** Shared across copies of this package, so an error thrown by one is recognised by another. */
export const kGatewayError = Symbol.for('fastify-gateway-errors.error')

export interface GatewayErrorOptions {
  /** The underlying error, logged with the request id and never sent to the client. */
  cause?: unknown
}

/**
 * A catalog error to throw from handlers, hooks and services. The plugin's error handler replies
 * with its code and details.
 *
 * Creating it does not capture a stack trace unless `GatewayError.captureStackTraces` is true: in an
 * async handler the capture is most of the cost of a thrown error, and the stack of an expected,
 * catalogued error says nothing the code does not.
 */
export class GatewayError<C extends GatewayErrorCode = GatewayErrorCode> extends Error {
  static captureStackTraces = false

  declare readonly [kGatewayError]: true
  readonly code: C
  readonly statusCode: number
  readonly details: GatewayErrorDetails<C> | undefined

  constructor (code: C, details?: GatewayErrorDetails<C>, options?: GatewayErrorOptions) {
    const known = isGatewayErrorCode(code)
    const limit = Error.stackTraceLimit
    if (!GatewayError.captureStackTraces) Error.stackTraceLimit = 0
    try {
      super(known ? messageFor(code, details) : `Unknown gateway error code: ${String(code)}`, options)
    } finally {
      Error.stackTraceLimit = limit
    }
    this.code = code
    this.statusCode = known ? catalog[code].status : 500
    this.details = details
  }

  /** Whether retrying the same request can succeed. */
  get retryable (): boolean {
    return isGatewayErrorCode(this.code) && catalog[this.code].retryable
  }

  /** Narrows to one code: `if (err.is('model_not_found')) err.details?.model`. */
  is<K extends GatewayErrorCode> (code: K): this is GatewayError<K> {
    return (this.code as GatewayErrorCode) === code
  }
}

Object.defineProperty(GatewayError.prototype, kGatewayError, { value: true })
Object.defineProperty(GatewayError.prototype, 'name', { value: 'GatewayError', writable: true, configurable: true })

export function isGatewayError (value: unknown): value is GatewayError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kGatewayError] === true
}
