// One compiled serializer per error schema, shared by every route and reply that uses it.
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
  return { compile, forStatus: (envelope, key) => compile(errorSchema(envelope, key)) }
}
