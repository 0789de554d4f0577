// `fastify-gateway-errors/upstream`: calling providers. `fetchUpstream`, the translation of their
// errors, and the attempt loop that retries and falls back by catalog code.
export { fetchUpstream } from './upstream'
export type { UpstreamOptions, UpstreamResult } from './upstream'
export { translateProviderError } from './provider-errors'
export type { ProviderErrorInput, ProviderErrorTranslation, SdkApiErrorLike } from './provider-errors'
export type { StreamDelivery, StreamOutcome } from './upstream-events'
export { attemptCandidates } from './attempts/loop'
export type { AttemptCandidate, AttemptContext, AttemptOptions, AttemptRecord, AttemptResult } from './attempts/loop'
export { attemptPolicy, defaultAttemptPolicy, DEFAULT_RULES } from './attempts/policy'
export type { AttemptAction, AttemptPolicy, AttemptPolicyRules, AttemptRule, ResolvedRule } from './attempts/policy'
