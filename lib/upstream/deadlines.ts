// The three deadlines of an upstream call, split as undici, Envoy and the providers' SDKs split them:
// - `timeoutMs`: until the provider answers (headers and, for a stream, its first event);
// - `idleTimeoutMs`: the longest silence between two reads of the body once it has begun;
// - `totalTimeoutMs`: an optional hard cap on the whole exchange.
// A stream that keeps talking is never cut by the first two, however long it lasts.
//
// The idle check costs one assignment per read (`lastRead`): its timer is armed once and, when it
// fires, re-armed for the time left since the last read, instead of being reset on every chunk.
import { GatewayError, trustDetails } from '../reply/gateway-error'
import { PREFIX } from '../options'

export type DeadlineName = 'answer' | 'idle' | 'total'

export interface DeadlineOptions {
  timeoutMs: number
  idleTimeoutMs: number | false
  totalTimeoutMs: number | undefined
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000
/** The longest delay Node's timers take (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

const isDuration = (value: unknown): boolean =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_TIMER_MS

/** Refuses deadlines a timer cannot wait: a mistake in the gateway's code, not the provider's. */
export function checkDeadlines (options: DeadlineOptions): void {
  const wrong = !isDuration(options.timeoutMs)
    ? `timeoutMs must be a number of ms from 1 to ${MAX_TIMER_MS}`
    : options.idleTimeoutMs !== false && !isDuration(options.idleTimeoutMs)
      ? `idleTimeoutMs must be a number of ms from 1 to ${MAX_TIMER_MS}, or false`
      : options.totalTimeoutMs !== undefined && !isDuration(options.totalTimeoutMs)
        ? `totalTimeoutMs must be a number of ms from 1 to ${MAX_TIMER_MS}, or left out`
        : undefined
  if (wrong !== undefined) throw new TypeError(`${PREFIX}: fetchUpstream: ${wrong}`)
}

export class Deadlines {
  readonly controller = new AbortController()
  /** `performance.now()` of the last read from the body; the idle check measures silence from it. */
  lastRead = 0
  /**
   * Whether the body is being asked for. A stream whose client reads slowly stops asking (backpressure):
   * that silence is not the provider's, so the idle clock waits.
   */
  waiting = true
  /** The deadline that ended the call, if one did. */
  expired: DeadlineName | undefined
  readonly #options: DeadlineOptions
  readonly #provider: string
  readonly #client: AbortSignal | undefined
  #answerTimer: NodeJS.Timeout | undefined
  #idleTimer: NodeJS.Timeout | undefined
  #totalTimer: NodeJS.Timeout | undefined

  constructor (options: DeadlineOptions, provider: string, client: AbortSignal | undefined) {
    this.#options = options
    this.#provider = provider
    this.#client = client
    this.#answerTimer = setTimeout(this.#expire, options.timeoutMs, 'answer')
    const total = options.totalTimeoutMs
    if (total !== undefined) this.#totalTimer = setTimeout(this.#expire, total, 'total')
    if (client !== undefined) {
      if (client.aborted) this.controller.abort(client.reason)
      else client.addEventListener('abort', this.#onClientAbort)
    }
  }

  get signal (): AbortSignal {
    return this.controller.signal
  }

  /** Whether the caller's own signal ended the call (the client left). */
  get clientLeft (): boolean {
    return this.#client?.aborted === true
  }

  /** The provider has answered: from now on only silence and the total cap can end the call. */
  answered (): void {
    clearTimeout(this.#answerTimer)
    this.lastRead = performance.now()
    const idle = this.#options.idleTimeoutMs
    if (idle !== false && this.#idleTimer === undefined && !this.controller.signal.aborted) {
      this.#idleTimer = setTimeout(this.#checkIdle, idle)
    }
  }

  /** The call is over, whichever way: no timer or listener is left behind. */
  finish (): void {
    clearTimeout(this.#answerTimer)
    clearTimeout(this.#idleTimer)
    clearTimeout(this.#totalTimer)
    this.#client?.removeEventListener('abort', this.#onClientAbort)
  }

  /** The catalog error for the deadline that expired, if one did. */
  timeoutError (cause?: unknown): GatewayError | undefined {
    const expired = this.expired
    if (expired === undefined) return undefined
    const options = this.#options
    const timeoutMs = expired === 'answer'
      ? options.timeoutMs
      : expired === 'idle' ? options.idleTimeoutMs : options.totalTimeoutMs
    const details = { provider: this.#provider, timeout_ms: timeoutMs as number }
    return trustDetails(new GatewayError('upstream_timeout', details, cause === undefined ? undefined : { cause }))
  }

  readonly #expire = (name: DeadlineName): void => {
    this.expired = name
    this.finish()
    this.controller.abort(this.timeoutError())
  }

  readonly #checkIdle = (): void => {
    const idle = this.#options.idleTimeoutMs as number
    const quiet = this.waiting ? performance.now() - this.lastRead : 0
    if (quiet >= idle) this.#expire('idle')
    else this.#idleTimer = setTimeout(this.#checkIdle, idle - quiet)
  }

  readonly #onClientAbort = (): void => {
    this.finish()
    this.controller.abort((this.#client as AbortSignal).reason)
  }
}
