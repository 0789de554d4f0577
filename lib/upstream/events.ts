// A provider's event stream, checked: forwarded in the chunks the provider sent, except an error
// event (OpenAI-style `data: {"error":…}`, Anthropic `event: error`, OpenRouter's chunk with
// `finish_reason: "error"`, Gemini's safety stop or bare JSON error), which ends the stream with a
// GatewayError: forwarded with `reply.send(stream)`, the plugin turns it into the catalog SSE error
// event in the route's envelope.
//
// Cost: a chunk is scanned natively for the few words an error event must contain ("error",
// "…Reason\"") and only a chunk that has one is parsed. Chunks are forwarded whole, up to their last
// complete event; a part event is held (at most 1 MiB) until the rest arrives. The stream keeps a
// delivery record (events, bytes, time to first event, the provider's usage) for billing.
import { Readable } from 'node:stream'
import type { GatewayErrorCode } from '../catalog/catalog'
import { GatewayError, isGatewayError } from '../reply/gateway-error'
import {
  ANY_BLANK, countEvents, CR, eventError, EVENT_END, failure, LF_BLANK, lastEventEnd, splitEvents
} from './sse'
import { usageOf, type StreamUsage } from './stream-usage'
import type { Deadlines } from './deadlines'

const MAX_EVENT_BYTES = 1 << 20
// Native search is fast for a word whose first letter is rare in JSON ('e' and '"' are everywhere):
// "rror" is in every error event ("error", event: error, finish_reason "error").
const ERROR_MARK = Buffer.from('rror')
const REASON_MARK = Buffer.from('Reason"') // Gemini's finishReason and promptFeedback.blockReason
/** The last segments kept for the usage a provider reports at the end of its stream. */
const USAGE_SEGMENTS = 2
const USAGE_MARK = Buffer.from('usage')
/** Of the first segment, what is kept for its usage (Anthropic's message_start is the first event). */
const FIRST_USAGE_BYTES = 4 * 1024
/** Of the first segment, what is read to tell an OpenAI-style or Anthropic stream (its first event). */
const SHAPE_BYTES = 1024

export type StreamOutcome = 'streaming' | 'completed' | 'failed' | 'client_disconnected' | 'cancelled'

/** What a provider's stream delivered to the client, as far as the gateway forwarded it. */
export interface StreamDelivery {
  provider: string
  /** `streaming` while it runs; `failed` with `errorCode` when the provider's stream failed or stalled. */
  outcome: StreamOutcome
  errorCode: GatewayErrorCode | undefined
  /** SSE events forwarded (an error event that ended the stream is not counted). */
  events: number
  /** Bytes of the provider's events forwarded. */
  bytes: number
  /** From the call to the provider to its first event, in ms. */
  timeToFirstEventMs: number
  /** From the call to the provider to the end of the stream (or to now, while it runs), in ms. */
  durationMs: number
  /** The token counts the provider reported in the stream, if it did (complete only when `completed`). */
  usage: StreamUsage | undefined
}

type Reader = ReadableStreamDefaultReader<Uint8Array>
type Chunk = Awaited<ReturnType<Reader['read']>>

/** The provider's events, checked, as a Node Readable of their bytes; see `openEventStream`. */
export class CheckedEventStream extends Readable {
  readonly #reader: Reader
  readonly #provider: string
  readonly #deadlines: Deadlines
  readonly #startedAt: number
  #held: Buffer[] = []
  #heldBytes = 0
  /** An error found after some events of the same chunk: raised once those have been read. */
  #pending: GatewayError | undefined
  /** The line ends the provider uses, learnt from its first events: a search for LF alone when it never sends CR. */
  #blanks: readonly Buffer[] = ANY_BLANK
  /** The words an error event must contain, learnt from the first events ("…Reason\"" where it can be Gemini). */
  #marks: readonly Buffer[] = [ERROR_MARK, REASON_MARK]
  /** Where usage is reported: the first segment (Anthropic's message_start) and the last few (the rest). */
  #usageFirst: Buffer | undefined
  #usageLast: Buffer[] = []
  #record: StreamDelivery
  #ended = false
  /** Where the stream is piped (the client's response): its closing early means the client left. */
  #destination: NodeJS.WritableStream & { destroyed?: boolean, writableEnded?: boolean } | undefined
  #resolve!: (delivery: StreamDelivery) => void
  /** Resolves once, when the stream has ended in any way, with its final delivery record. */
  readonly delivered: Promise<StreamDelivery>

  constructor (reader: Reader, provider: string, deadlines: Deadlines, startedAt: number) {
    super()
    this.#reader = reader
    this.#provider = provider
    this.#deadlines = deadlines
    this.#startedAt = startedAt
    this.#record = {
      provider,
      outcome: 'streaming',
      errorCode: undefined,
      events: 0,
      bytes: 0,
      timeToFirstEventMs: 0,
      durationMs: 0,
      usage: undefined
    }
    this.delivered = new Promise((resolve) => { this.#resolve = resolve })
  }

  /** Reads up to the first complete event; throws before anything is forwarded when it is an error or there is none. */
  async start (): Promise<this> {
    for (;;) {
      const chunk = await this.#reader.read()
      if (chunk.done) {
        if (this.#heldBytes === 0) throw failure('upstream_error', this.#provider)
        this.#finishHeld()
        break
      }
      this.#deadlines.lastRead = performance.now()
      const segment = this.#accept(chunk.value)
      if (segment !== undefined) {
        this.#record.timeToFirstEventMs = performance.now() - this.#startedAt
        this.#deadlines.answered()
        this.#forward(segment, true)
        break
      }
    }
    this.#deadlines.waiting = false // until the consumer asks for more
    return this
  }

  /** The delivery so far; a stream still running is reported with `outcome`. */
  delivery (outcome: StreamOutcome = 'streaming'): StreamDelivery {
    const record = this.#record
    if (this.#ended) return { ...record }
    const segments = this.#usageFirst === undefined ? this.#usageLast : [this.#usageFirst, ...this.#usageLast]
    const usage = usageOf(segments.filter((segment) => segment.indexOf(USAGE_MARK) !== -1).map(String))
    return { ...record, outcome, usage, durationMs: performance.now() - this.#startedAt }
  }

  override pipe<T extends NodeJS.WritableStream> (destination: T, options?: { end?: boolean }): T {
    this.#destination = destination
    return super.pipe(destination, options)
  }

  override _read (): void {
    if (this.#pending !== undefined) {
      this.destroy(this.#pending)
      return
    }
    const deadlines = this.#deadlines
    deadlines.waiting = true
    deadlines.lastRead = performance.now()
    this.#reader.read().then(this.#onChunk, this.#onReadError)
  }

  override _destroy (error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#ended) {
      if (!this.#deadlines.signal.aborted) this.#deadlines.controller.abort() // closes the provider's connection
      this.#reader.cancel().catch(() => {})
      // Our own failures are GatewayErrors; any other (an AbortError from a consumer that stopped reading) is a cancel.
      const code = isGatewayError(error) ? error.code as GatewayErrorCode : undefined
      const outcome = code === 'client_disconnected' || (code === undefined && this.#clientLeft())
        ? 'client_disconnected'
        : code === undefined ? 'cancelled' : 'failed'
      this.#end(outcome, outcome === 'failed' ? code : undefined)
    }
    callback(error)
  }

  #clientLeft (): boolean {
    const destination = this.#destination
    return this.#deadlines.clientLeft || (destination?.destroyed === true && destination.writableEnded !== true)
  }

  #end (outcome: StreamOutcome, errorCode?: GatewayErrorCode): void {
    this.#record = { ...this.delivery(outcome), errorCode }
    this.#ended = true
    this.#deadlines.finish()
    this.#resolve(this.#record)
  }

  readonly #onChunk = (chunk: Chunk): void => {
    if (this.destroyed) return
    try {
      if (chunk.done) {
        if (this.#heldBytes > 0) this.#finishHeld()
        if (this.#pending === undefined) {
          this.#end('completed')
          this.push(null)
        }
        return
      }
      this.#deadlines.waiting = false
      const segment = this.#accept(chunk.value)
      if (segment === undefined) this._read()
      else this.#forward(segment, false)
    } catch (error) {
      this.destroy(error as GatewayError) // an event over the size limit
    }
  }

  readonly #onReadError = (cause: unknown): void => {
    if (this.destroyed) return
    const deadlines = this.#deadlines
    this.destroy(deadlines.timeoutError(cause) ??
      (deadlines.clientLeft
        ? new GatewayError('client_disconnected', undefined, { cause })
        : failure('upstream_error', this.#provider, cause)))
  }

  /** The complete events of what has arrived (held bytes first); the part event after them is held. */
  #accept (value: Uint8Array): Buffer | undefined {
    const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    let end = lastEventEnd(chunk, this.#blanks)
    if (this.#heldBytes === 0) {
      if (end === chunk.length) return chunk
      if (end !== -1) this.#hold(chunk.subarray(end))
      return end === -1 ? this.#hold(chunk) : chunk.subarray(0, end)
    }
    if (end === -1) end = this.#blankLineAcross(chunk)
    if (end === -1) return this.#hold(chunk)
    const segment = Buffer.concat([...this.#held, chunk.subarray(0, end)])
    this.#held = []
    this.#heldBytes = 0
    if (end < chunk.length) this.#hold(chunk.subarray(end))
    return segment
  }

  #hold (part: Buffer): undefined {
    this.#held.push(part)
    this.#heldBytes += part.length
    if (this.#heldBytes > MAX_EVENT_BYTES) throw failure('upstream_error', this.#provider)
    return undefined
  }

  /** A blank line split between the held bytes and `chunk`: the end of it in `chunk`, or -1. */
  #blankLineAcross (chunk: Buffer): number {
    const last = this.#held[this.#held.length - 1] as Buffer
    const before = this.#held[this.#held.length - 2]
    const held = last.length >= 2 || before === undefined
      ? last.subarray(-2)
      : Buffer.concat([before.subarray(-1), last])
    const junction = Buffer.concat([held, chunk.subarray(0, 2)])
    const end = lastEventEnd(junction, this.#blanks) - held.length
    return end > 0 ? end : -1
  }

  /** Forwards what is held as the stream's last event (a provider that ended without a blank line). */
  #finishHeld (): void {
    const last = Buffer.concat([...this.#held, Buffer.from(EVENT_END)])
    this.#held = []
    this.#heldBytes = 0
    this.#forward(last, this.#record.events === 0)
  }

  #forward (segment: Buffer, first: boolean): void {
    if (first) this.#learn(segment)
    if (this.#usageLast.push(segment) > USAGE_SEGMENTS) this.#usageLast.shift()
    if (this.#marked(segment)) {
      const events = splitEvents(segment.toString('utf8'))
      const index = events.findIndex((event) => (this.#pending = eventError(event, this.#provider)) !== undefined)
      if (index === 0) {
        if (first) throw this.#pending
        this.destroy(this.#pending)
        return
      }
      if (index > 0) {
        this.#count(Buffer.from(events.slice(0, index).join('')), index)
        return
      }
    }
    this.#count(segment, countEvents(segment, this.#blanks))
  }

  #learn (segment: Buffer): void {
    const head = segment.subarray(0, FIRST_USAGE_BYTES) // the first event is all that is looked at
    if (head.indexOf(USAGE_MARK) !== -1) this.#usageFirst = Buffer.from(head)
    if (segment.indexOf(CR) === -1) this.#blanks = [LF_BLANK]
    // OpenAI-style chunks and Anthropic events: no Gemini safety stop to look for
    const shape = segment.subarray(0, SHAPE_BYTES)
    if (shape.indexOf('"choices"') !== -1 || shape.indexOf('message_start') !== -1) this.#marks = [ERROR_MARK]
  }

  #marked (segment: Buffer): boolean {
    for (const mark of this.#marks) if (segment.indexOf(mark) !== -1) return true
    return false
  }

  #count (segment: Buffer, events: number): void {
    this.#record.events += events
    this.#record.bytes += segment.length
    this.push(segment)
  }
}

/**
 * Reads the first event (so an error there, or no event at all, is caught before a byte is
 * forwarded), then returns the stream of the provider's events, checked.
 */
export function openEventStream (
  body: ReadableStream<Uint8Array>, provider: string, deadlines: Deadlines, startedAt: number
): Promise<CheckedEventStream> {
  return new CheckedEventStream(body.getReader(), provider, deadlines, startedAt).start()
}

/** The delivery record of a stream, when it is one of ours; a running one is reported with `outcome`. */
export function deliveryOf (source: unknown, outcome: StreamOutcome): StreamDelivery | undefined {
  return source instanceof CheckedEventStream ? source.delivery(outcome) : undefined
}
