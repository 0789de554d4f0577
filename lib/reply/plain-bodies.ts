// The body of an error reply without details is known at start-up but for its request id: it is
// serialized once per envelope and code, around a marker, and each reply only puts its id in.
// Sent as a string, it skips serialization altogether (a hand-written reply serializes every time).
import type { Envelope, ResolvedEntry } from './envelopes'
import type { GatewayErrorCode } from '../catalog/catalog'
import type { Serializer } from './serializers'

const MARK = 'fgw-request-id-7d1c'
// headerSafeId leaves printable ASCII: of that, only these two need escaping in a JSON string.
const NEEDS_ESCAPE = /["\\]/

export interface PlainBodies {
  /** The serialized body of `entry`'s reply without details, with `requestId` in it. */
  payload (envelope: Envelope, entry: ResolvedEntry, requestId: string): string
}

export function createPlainBodies (
  serializerFor: (envelope: Envelope, status: number) => Serializer,
  docUrls: Readonly<Partial<Record<GatewayErrorCode, string>>>
): PlainBodies {
  const templates = new Map<Envelope, Partial<Record<GatewayErrorCode, readonly string[]>>>()

  function templateOf (envelope: Envelope, entry: ResolvedEntry): readonly string[] {
    let byCode = templates.get(envelope)
    if (byCode === undefined) {
      byCode = {}
      templates.set(envelope, byCode)
    }
    let parts = byCode[entry.code]
    if (parts === undefined) {
      const docUrl = docUrls[entry.code]
      const body = envelope.body({
        entry,
        message: entry.plainMessage,
        param: entry.param,
        details: undefined,
        requestId: MARK,
        docUrl
      })
      parts = serializerFor(envelope, entry.status)(body).split(MARK)
      byCode[entry.code] = parts
    }
    return parts
  }

  return {
    payload (envelope, entry, requestId) {
      const parts = templateOf(envelope, entry)
      const id = NEEDS_ESCAPE.test(requestId) ? JSON.stringify(requestId).slice(1, -1) : requestId
      return parts.length === 2 ? (parts[0] as string) + id + (parts[1] as string) : parts.join(id)
    }
  }
}
