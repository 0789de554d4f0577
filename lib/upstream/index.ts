// `fastify-gateway-errors/upstream`: calling providers. `fetchUpstream`, the translation of their
// errors, the attempt loop that retries and falls back by catalog code, and the redaction that
// keeps their keys and words out of replies and logs.
export { fetchUpstream } from './fetch-upstream'
export type { UpstreamOptions, UpstreamResult } from './fetch-upstream'
export { translateProviderError } from './provider-errors'
export type { ProviderErrorInput, ProviderErrorTranslation, SdkApiErrorLike } from './provider-errors'
export type { StreamDelivery, StreamOutcome } from './events'
export { maskSecret, redactString } from './redact'
export { attemptCandidates } from './attempts/loop'
export type { AttemptCandidate, AttemptContext, AttemptOptions, AttemptRecord, AttemptResult } from './attempts/loop'
export { attemptPolicy, defaultAttemptPolicy, DEFAULT_RULES } from './attempts/policy'
export type { AttemptAction, AttemptPolicy, AttemptPolicyRules, AttemptRule, ResolvedRule } from './attempts/policy'
