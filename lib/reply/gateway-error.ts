// GatewayError: what handlers, hooks and services throw; the error handler replies with its code.
import type { GatewayErrorExtraCodes } from 'fastify'
import { catalog, isGatewayErrorCode, type GatewayErrorCode, type GatewayErrorDetails } from '../catalog/catalog'
import { messageFor } from '../catalog/message'
import { kTrustedDetails } from '../symbols'

declare module 'fastify' {
  /**
   * Codes of your own (`extraCodes`), for the compiler: each key a code, its value the type of its
   * details. `declare module 'fastify' { interface GatewayErrorExtraCodes { guardrail_blocked: { policy?: string } } }`
   * makes `reply.gatewayError('guardrail_blocked', { policy })` and `new GatewayError('guardrail_blocked')` type-check.
   */
  interface GatewayErrorExtraCodes {}
}

/** A code declared in `GatewayErrorExtraCodes`. */
export type ExtraCode = keyof GatewayErrorExtraCodes & string
/** The details a catalog code or a code of your own accepts. */
export type DetailsOf<C extends GatewayErrorCode | ExtraCode> =
  C extends GatewayErrorCode ? GatewayErrorDetails<C> : C extends ExtraCode ? GatewayErrorExtraCodes[C] : never

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
 * By default it is built without running the `Error` constructor, so no stack trace is captured:
 * in an async handler the capture, and even the constructor without it, is most of the cost of a
 * thrown error, and the stack of an expected, catalogued error says nothing the code does not. It is
 * still `instanceof Error` (and of its class); its `stack` is its first line. Set
 * `GatewayError.captureStackTraces = true` to get real `Error` instances with stacks (not
 * `captureStackTrace`, as @fastify/error's option is named: that static is Error's own function).
 */
export class GatewayError<C extends GatewayErrorCode | ExtraCode = GatewayErrorCode> extends Error {
  static captureStackTraces = false

  declare readonly [kGatewayError]: true
  declare readonly code: C
  declare readonly statusCode: number
  declare readonly details: DetailsOf<C> | undefined

  constructor (code: C, details?: DetailsOf<C>, options?: GatewayErrorOptions) {
    const known = isGatewayErrorCode(code)
    // A code of an app's own (extraCodes) gets its status and message from that app's registry when replied.
    const message = known ? messageFor(code, details) : `${String(code)} (not a catalog code)`
    if (!GatewayError.captureStackTraces) {
      // A derived constructor may return its own object instead of calling super().
      const error = Object.create(new.target.prototype) as GatewayError<C>
      // not enumerable, as on any Error: a spread or a logger's walk does not copy it twice
      Object.defineProperty(error, 'message', { value: message, writable: true, configurable: true })
      if (options !== undefined && 'cause' in options) (error as { cause: unknown }).cause = options.cause
      initialise(error, code, details, known)
      return error
    }
    super(message, options)
    initialise(this, code, details, known)
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

function initialise (error: object, code: string, details: unknown, known: boolean): void {
  const target = error as { code: string, statusCode: number, details: unknown }
  target.code = code
  target.statusCode = known ? catalog[code as GatewayErrorCode].status : 500
  target.details = details
}

Object.defineProperty(GatewayError.prototype, kGatewayError, { value: true })
Object.defineProperty(GatewayError.prototype, 'name', { value: 'GatewayError', writable: true, configurable: true })
// Object.prototype.toString says [object Error], as for errors built by the Error constructor.
Object.defineProperty(GatewayError.prototype, Symbol.toStringTag, { value: 'Error', configurable: true })
// Instances built without the Error constructor have no own stack: their first line stands in.
Object.defineProperty(GatewayError.prototype, 'stack', {
  get (this: GatewayError) { return `${this.name}: ${this.message}` },
  set (this: GatewayError, value: unknown) {
    Object.defineProperty(
      this,
      'stack',
      { value, writable: true, configurable: true }
    )
  },
  configurable: true
})

interface MaybeTrusted { [kTrustedDetails]?: true }

/** Marks details the plugin built itself (a validation failure, a provider's error): not copied or checked again. */
export function trustDetails<E extends GatewayError> (error: E): E {
  (error as MaybeTrusted)[kTrustedDetails] = true
  return error
}

export function hasTrustedDetails (error: GatewayError): boolean {
  return (error as MaybeTrusted)[kTrustedDetails] === true
}

export function isGatewayError (value: unknown): value is GatewayError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kGatewayError] === true
}
