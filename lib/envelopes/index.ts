import { anthropicEnvelope } from './anthropic'
import type { Envelope, EnvelopeName } from './envelope'
import { openAIEnvelope } from './openai'
import { problemEnvelope } from './problem'

export const envelopes: Readonly<Record<EnvelopeName, Envelope>> = {
  openai: openAIEnvelope,
  anthropic: anthropicEnvelope,
  problem: problemEnvelope
}

export const envelopeNames = Object.keys(envelopes) as EnvelopeName[]

export function isEnvelopeName (value: unknown): value is EnvelopeName {
  return typeof value === 'string' && Object.hasOwn(envelopes, value)
}

export type { Envelope, EnvelopeName, ErrorInstance, ResolvedEntry } from './envelope'
