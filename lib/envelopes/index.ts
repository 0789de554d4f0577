// The envelopes by name, and the schema titles they give (GatewayError404, AnthropicError5xx, …).
import { statuses, type ResponseKey } from '../catalog'
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

/** Every title the plugin gives a schema (GatewayError404, AnthropicError5xx, …): its envelope and key. */
export const schemaTitles = new Map<string, { envelope: Envelope, key: ResponseKey }>()

/** Adds the titles of the current statuses (again after `extraCodes` brought a new status). */
export function addSchemaTitles (): void {
  for (const envelope of Object.values(envelopes)) {
    for (const key of [...statuses, '4xx', '5xx'] as ResponseKey[]) schemaTitles.set(envelope.schemaId(key), { envelope, key })
  }
}
addSchemaTitles()

export function isEnvelopeName (value: unknown): value is EnvelopeName {
  return typeof value === 'string' && Object.hasOwn(envelopes, value)
}

export type { Envelope, EnvelopeName, ErrorInstance, ResolvedEntry } from './envelope'
