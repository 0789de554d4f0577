// Fastify logs each request's URL. Keys travel in query strings (`?api_key=…`, `?key=AIza…`) and in
// paths (`DELETE /v1/keys/sk-…`): `Fastify({ logger: { serializers: gatewayLogSerializers } })`
// logs the path without its query, with secret-looking segments masked.
import type { FastifyRequest } from 'fastify'
import { redactString } from '../upstream/redact'

/** The URL as it may be logged: no query string, every path segment through redaction. */
export function loggableUrl (url: string): string {
  const path = url.slice(0, 2048).split(/[?#]/, 1)[0] as string
  return path.split('/').map((segment) => redactString(decodeSegment(segment), 120)).join('/')
}

function decodeSegment (segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

export const gatewayLogSerializers = {
  req (request: FastifyRequest) {
    return {
      method: request.method,
      url: loggableUrl(request.url),
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort
    }
  }
}
