// Building blocks for the typed `details` of catalog entries, and the phrases that make a
// catalog message specific. Every user-derived string is redacted before it reaches a message.
import { Type, type Static, type TProperties } from '@sinclair/typebox'
import type { GatewayErrorCode } from './catalog'
import { redactString } from '../upstream/redact'

export const Model = {
  model: Type.Optional(Type.String({ description: 'The model the request named' }))
} satisfies TProperties

export const RetryAfter = {
  retry_after_ms: Type.Optional(Type.Integer({
    minimum: 0,
    description: 'How long to wait before retrying, in ms; sent as retry-after / retry-after-ms, capped at 59 s'
  }))
} satisfies TProperties

export const Provider = {
  provider: Type.Optional(Type.String({ description: 'The upstream provider concerned' })),
  upstream: Type.Optional(Type.Object({
    provider: Type.Optional(Type.String()),
    status: Type.Integer({ description: 'The HTTP status the provider answered with' }),
    type: Type.Optional(Type.String({ description: 'The provider\'s own error type' })),
    code: Type.Optional(Type.String({ description: 'The provider\'s own error code' }))
  }, { description: 'The provider reply this error translates' }))
} satisfies TProperties

export const RejectionReasonSchema = Type.Object({
  code: Type.String({ description: 'The catalog code this reason alone would produce' }),
  message: Type.String()
}, { $id: 'GatewayRejectionReason' })
/**
 * The schema's type, with `code` narrowed to the catalog's codes (the schema cannot name them: the
 * catalog is built from it).
 */
export type RejectionReason = Omit<Static<typeof RejectionReasonSchema>, 'code'> & { code: GatewayErrorCode }

export const ProviderRejectionSchema = Type.Object({
  provider: Type.String(),
  reasons: Type.Array(Type.Omit(RejectionReasonSchema, ['$id']))
})
export type ProviderRejection = Omit<Static<typeof ProviderRejectionSchema>, 'reasons'> & { reasons: RejectionReason[] }

/** Details of every capability-routing failure: the model and why each provider was rejected. */
export const Routing = {
  ...Model,
  param: Type.Optional(Type.String({ description: 'The request field to change' })),
  providers: Type.Optional(Type.Array(
    ProviderRejectionSchema,
    { description: 'Each provider considered and every reason it was rejected' }
  ))
} satisfies TProperties

export const Field = {
  param: Type.String({ description: 'Path of the request field concerned, e.g. messages[0].role' })
} satisfies TProperties

export function quote (value: string): string {
  return `'${redactString(value, 100)}'`
}

export function modelSubject (details: { model?: string }): string | undefined {
  return details.model === undefined ? undefined : `model ${quote(details.model)}`
}

export function fieldSubject (details: { param: string }): string {
  return quote(details.param)
}

export function providerSubject (details: { provider?: string }): string | undefined {
  return details.provider === undefined ? undefined : `provider ${quote(details.provider)}`
}

/** The decisions the attempt loop takes after each attempt (or instead of one). */
export const attemptDecisions = ['succeeded', 'retried', 'fell_back', 'skipped', 'stopped'] as const

export const AttemptRecordSchema = Type.Object({
  provider: Type.String({ description: 'The candidate tried (its name)' }),
  model: Type.Optional(Type.String()),
  code: Type.Optional(Type.String({ description: 'The catalog code the attempt\'s failure translated to' })),
  status: Type.Optional(Type.Integer({ description: 'The HTTP status the provider answered with' })),
  retryable: Type.Optional(Type.Boolean()),
  wait_ms: Type.Optional(Type.Integer({ minimum: 0, description: 'The wait the provider stated' })),
  duration_ms: Type.Integer({ minimum: 0 }),
  decision: Type.Union(attemptDecisions.map((decision) => Type.Literal(decision))),
  reason: Type.Optional(Type.String({ description: 'Why the decision was taken' }))
}, { $id: 'GatewayAttempt' })

/** Every error's details may carry the attempts that led to it (the attempt loop's ledger). */
export const Attempts = {
  attempts: Type.Optional(Type.Array(Type.Omit(AttemptRecordSchema, ['$id']), {
    maxItems: 32,
    description: 'Each provider attempt, retry, fallback and skip that led to this error, in order'
  }))
} satisfies TProperties

/** Details every code may carry: documented once, not in each code's list. */
export const commonDetailNames: ReadonlySet<string> = new Set(Object.keys(Attempts))
