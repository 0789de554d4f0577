// One compiled serializer per envelope and status. Every error reply is serialized by one of these,
// whatever the route declares: the routes carry no error schemas (see openapi/route-docs.ts).
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { GatewayErrorStatus } from '../catalog/catalog'
import type { Envelope } from './envelopes'
import type { Registry } from '../catalog/registry'
import { errorSchema } from './schemas'

export type Serializer = (body: unknown) => string

export interface Serializers {
  /** The serializer of an envelope's full schema for a status, compiled on first use. */
  forStatus (envelope: Envelope, status: GatewayErrorStatus): Serializer
}

export function createSerializers (
  serializerOpts: Record<string,
  unknown> | undefined,
  registry: Registry
): Serializers {
  const build = SerializerSelector()(undefined, serializerOpts)
  // Looked up on every error reply: an array per envelope, indexed by status.
  const byStatus = new Map<Envelope, Array<Serializer | undefined>>()
  return {
    forStatus (envelope, status) {
      let table = byStatus.get(envelope)
      if (table === undefined) {
        table = []
        byStatus.set(envelope, table)
      }
      let serializer = table[status]
      if (serializer === undefined) {
        serializer = build({
          schema: errorSchema(envelope, status, undefined, registry),
          method: '',
          url: '',
          httpStatus: String(status)
        }) as Serializer
        table[status] = serializer
      }
      return serializer
    }
  }
}
