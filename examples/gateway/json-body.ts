// Request bodies are parsed by Fastify's JSON parser (which refuses __proto__ poisoning) after a
// scan for nesting: JSON.parse accepts arrays nested 100,000 deep in an open field (`tool_choice`,
// `metadata`), and whatever walks them next (validation, JSON.stringify on the way to the provider)
// overflows the stack. No request to this API nests more than MAX_DEPTH levels.
import type { FastifyInstance } from 'fastify'
import { GatewayError } from 'fastify-gateway-errors'

export const MAX_DEPTH = 64

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d

/** The deepest nesting of a JSON text, counted outside strings; stops counting past `limit`. */
export function nestingDepth (text: string, limit = MAX_DEPTH): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === BACKSLASH) i++
      else if (char === QUOTE) inString = false
    } else if (char === QUOTE) {
      inString = true
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      depth--
    }
  }
  return deepest
}

export function limitJsonNesting (app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (nestingDepth(body as string) > MAX_DEPTH) {
      done(new GatewayError('invalid_request', { reason: `the JSON body is nested more than ${MAX_DEPTH} levels deep` }), undefined)
      return
    }
    parse(request, body as string, done)
  })
}
