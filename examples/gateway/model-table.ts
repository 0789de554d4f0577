// The model catalog (models.json), in the shape the plugin's router reads.
import type { ModelDescription, ProviderDescription } from 'fastify-gateway-errors/routing'
import models from './models.json'

export type ProviderRecord = ProviderDescription & { upstream: string }

export const modelTable: Record<string, ModelDescription & { providers: readonly ProviderRecord[] }> = Object.fromEntries(
  Object.entries(models).map(([id, model]) => [id, { id, ...model } as ModelDescription & { providers: readonly ProviderRecord[] }])
)
