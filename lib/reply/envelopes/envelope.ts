// What every wire format (envelope) provides, and the per-code values computed once for it.
import { Type, type TObject, type TUnsafe } from '@sinclair/typebox'
import type { CatalogOf, GatewayErrorCode, OpenAIErrorType, ResponseKey } from '../../catalog/catalog'

/** A catalog entry with everything that does not depend on the request worked out at start-up. */
export interface ResolvedEntry {
  readonly code: GatewayErrorCode
  readonly status: number
  /** The catalog message. */
  readonly message: string
  /** The message of a reply without details: the catalog message and any words clients match on. */
  readonly plainMessage: string
  readonly type: OpenAIErrorType
  readonly param: string | null
  readonly retryable: boolean
  readonly overload: boolean
  readonly shouldRetry: 'true' | 'false'
  /** This entry when no retry is advised although the code is retryable: its wait is beyond any client's. */
  readonly unretryable: ResolvedEntry
}

/** What varies per reply. `details` is already a redacted, JSON-safe copy. */
export interface ErrorInstance {
  readonly entry: ResolvedEntry
  readonly message: string
  readonly param: string | null
  readonly details: Record<string, unknown> | undefined
  readonly requestId: string
  /** The code's documentation page, when the plugin has `docsUrl` or `docsRoute`. */
  readonly docUrl?: string | undefined
}

/**
 * One wire format for error replies: a body builder and its schema per status.
 * Built once per plugin registration; `body` runs on every error reply.
 */
export interface Envelope {
  readonly name: EnvelopeName
  readonly contentType: string
  /** The header that carries the request id, besides the plugin's own. */
  readonly requestIdHeader: string
  /** `$id` of the schema for a status or range, e.g. GatewayError404, GatewayError4xx. */
  schemaId (key: ResponseKey): string
  /** Where the catalog code sits in a body, e.g. ['error', 'code']. */
  readonly codePath: readonly string[]
  /** The schema of a status's replies, with `code` narrowed to `codes` (looked up in `source`). */
  schema (codes: readonly GatewayErrorCode[], source?: CatalogOf): TObject
  body (error: ErrorInstance): unknown
  /** The SSE frame for an error in a stream that has already started. */
  sseFrame (body: string): string
}

export type EnvelopeName = 'openai' | 'anthropic' | 'problem'

// `enum` rather than a union of literals: fast-json-stringify serialises an enum as a plain
// string, while `anyOf` makes it validate every branch on every reply.
export function stringEnum<T extends string> (values: readonly T[], description?: string): TUnsafe<T> {
  return Type.Unsafe<T>({
    type: 'string',
    enum: [...new Set(values)],
    ...(description === undefined ? {} : { description })
  })
}

export const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] })

export const OpenDetails = Type.Object({}, {
  additionalProperties: true,
  description: 'Typed per code (see the catalog): the subject of the error, ' +
    'e.g. the model, the limit, the providers considered'
})
