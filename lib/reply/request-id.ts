// Request ids: made unique across a fleet (gatewayGenReqId), taken from a trusted proxy only when
// safe, and, as sent in headers and bodies, stripped of anything that cannot be a header value.
import type { IncomingMessage } from 'node:http'
import { randomBytes } from 'node:crypto'

const SAFE_HEADER_VALUE = /^[\x21-\x7e]{1,128}$/
const UNSAFE = /[^\x21-\x7e]/g

export function headerSafeId (id: unknown): string {
  if (typeof id === 'string' && SAFE_HEADER_VALUE.test(id)) return id
  let text: string
  try {
    text = String(id)
  } catch {
    return 'unknown' // a genReqId that returned a hostile object
  }
  return SAFE_HEADER_VALUE.test(text) ? text : text.slice(0, 512).replace(UNSAFE, '').slice(0, 128) || 'unknown'
}

const ID_BYTES = 16
const POOL_IDS = 256
let pool = Buffer.alloc(0)
let offset = 0

function newRequestId (): string {
  // Stryker disable next-line ConditionalExpression: refilling on every call is slower, the ids as random
  if (offset === pool.length) {
    pool = randomBytes(ID_BYTES * POOL_IDS)
    offset = 0
  }
  offset += ID_BYTES
  return `req_${pool.toString('hex', offset - ID_BYTES, offset)}`
}

export interface GatewayGenReqIdOptions {
  /** A header a trusted proxy sets (`x-request-id`, `traceparent`'s id…): its value is the id when it is one. */
  header: string
  /**
   * Whether this request came through that proxy (default: every request; set it unless only the
   * proxy reaches the server).
   */
  trust?: (request: IncomingMessage) => boolean
}

/**
 * A `genReqId` that takes the id from a trusted proxy's header when it is a safe id (1–128 printable
 * characters, no spaces), and makes a new one otherwise: never an id a client chose, unbounded or
 * unprintable. Use it with `requestIdHeader: false`, so that Fastify does not take the header itself.
 */
function createGatewayGenReqId (options: GatewayGenReqIdOptions): (request: IncomingMessage) => string {
  if (typeof options?.header !== 'string' || options.header === '') {
    throw new TypeError('createGatewayGenReqId: header must be a header name')
  }
  if (options.trust !== undefined && typeof options.trust !== 'function') {
    throw new TypeError('createGatewayGenReqId: trust must be a function')
  }
  const header = options.header.toLowerCase()
  const trust = options.trust
  return function gatewayGenReqIdFromHeader (request) {
    const value = request.headers[header]
    const safe = typeof value === 'string' && SAFE_HEADER_VALUE.test(value)
    if (safe && (trust === undefined || trust(request))) return value
    return newRequestId()
  }
}

/**
 * A request id unique across a fleet and its restarts, in the shape OpenAI's clients show:
 * `req_` + 32 hex digits (128 random bits), for `Fastify({ genReqId: gatewayGenReqId })`. The random
 * bytes are drawn 4 KiB at a time. `gatewayGenReqId.fromHeader({ header, trust })` also takes a
 * trusted proxy's id.
 */
export const gatewayGenReqId: (() => string) & { fromHeader: typeof createGatewayGenReqId } =
  Object.assign(() => newRequestId(), { fromHeader: createGatewayGenReqId })

/** Fastify's default ids, `req-1`, `req-2`…: the same in every instance and after every restart. */
export const SEQUENTIAL_ID = /^req-[0-9a-z]{1,7}$/
