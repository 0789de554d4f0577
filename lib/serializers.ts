// One compiled serializer per error schema, shared by every route and reply that uses it. Every
// error reply is serialized by one of these, whatever the route declares: the routes carry no
// error schemas (see route-schemas.ts).
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { Envelope } from './envelopes'
import type { ResponseKey } from './catalog'
import { errorSchema } from './schemas'

export type Serializer = (body: unknown) => string

export interface Serializers {
  /** The serializer of one schema object, compiled on first use. */
  compile (schema: object): Serializer
  /** The serializer of an envelope's full schema for a status (or range). */
  forStatus (envelope: Envelope, key: ResponseKey): Serializer
}

export function createSerializers (serializerOpts: Record<string, unknown> | undefined): Serializers {
  const build = SerializerSelector()(undefined, serializerOpts)
  const compiled = new WeakMap<object, Serializer>()
  function compile (schema: object): Serializer {
    let serializer = compiled.get(schema)
    if (serializer === undefined) {
      serializer = build({ schema, method: '', url: '', httpStatus: '' }) as Serializer
      compiled.set(schema, serializer)
    }
    return serializer
  }
  // Looked up on every error reply: an array per envelope, indexed by status, filled on first use.
  const byStatus = new Map<Envelope, Array<Serializer | undefined>>()
  function forStatus (envelope: Envelope, key: ResponseKey): Serializer {
    if (typeof key !== 'number') return compile(errorSchema(envelope, key))
    let table = byStatus.get(envelope)
    if (table === undefined) {
      table = []
      byStatus.set(envelope, table)
    }
    let serializer = table[key]
    if (serializer === undefined) {
      serializer = compile(errorSchema(envelope, key))
      table[key] = serializer
    }
    return serializer
  }
  return { compile, forStatus }
}
