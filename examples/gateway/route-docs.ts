// What each route documents in the OpenAPI document (Swagger UI at /docs): its tag, its success
// reply and the error codes it can answer (`config.gatewayErrors.codes`: only their statuses are
// documented, with `code` narrowed to them). The groups follow the code that raises them; the tests
// check every error the example sends against the served document.
import { Type, type TSchema } from '@sinclair/typebox'
import type { RouteGatewayErrorsConfig } from 'fastify-gateway-errors'
import { checks } from 'fastify-gateway-errors/routing'
import { extraCodes } from './guard'

type Code = NonNullable<RouteGatewayErrorsConfig['codes']>[number]

/** Behind authenticate and the rate limit: the key, its scopes, the store both read. */
const CALLER: Code[] = ['invalid_api_key', 'expired_api_key', 'insufficient_permissions', 'rate_limit_exceeded', 'service_unavailable', 'internal_error']
/** Fastify's validation of params and bodies, translated by the plugin. */
const VALIDATION: Code[] = ['invalid_request', 'missing_required_parameter', 'unknown_field', 'invalid_parameter_value']
/** A body: parsed (bad JSON, nesting too deep), bounded and validated. */
const BODY: Code[] = [...VALIDATION, 'payload_too_large']
/** The account's plan, budget and quota (billing.ts). */
const BILLING: Code[] = ['budget_exhausted', 'insufficient_quota', 'feature_disabled']
/** The capability router: each of its checks' codes, and no model or provider at all. */
const ROUTING: Code[] = [...new Set(checks.map((check) => check.code)), 'model_not_found', 'no_provider_available']
/** The provider call and its attempts (forward.ts), and the content guard (guard.ts). */
const UPSTREAM: Code[] = ['model_unavailable', 'upstream_timeout', 'upstream_error', 'context_length_exceeded', 'content_filtered']
const GUARD = Object.keys(extraCodes) as Code[]
const MFA: Code[] = ['mfa_required', 'mfa_verification_failed', 'invalid_recovery_code']

const unique = (...groups: Code[][]): Code[] => [...new Set(groups.flat())]

/** An object whose other fields pass through unchanged (a provider's reply is forwarded as it is). */
const Open = <T extends Record<string, TSchema>>(properties: T, description: string) =>
  Type.Object(properties, { additionalProperties: true, description })

const Model = Open({ id: Type.String(), object: Type.String({ examples: ['model'] }), owned_by: Type.String() }, 'A model')
const Project = Open({ id: Type.String(), object: Type.String({ examples: ['project'] }), name: Type.String(), state: Type.String(), budget_usd: Type.Number() }, 'A project')
const Deleted = (object: string) => Open({ id: Type.String(), object: Type.String({ examples: [object] }), deleted: Type.Boolean() }, `The ${object.split('.')[0] ?? object} was deleted`)

export const routeDocs = {
  listModels: {
    schema: { tags: ['models'], response: { 200: Open({ object: Type.String({ examples: ['list'] }), data: Type.Array(Model) }, 'The models') } },
    config: { gatewayErrors: { codes: CALLER } }
  },
  getModel: {
    schema: { tags: ['models'], response: { 200: Model } },
    config: { gatewayErrors: { codes: unique(CALLER, VALIDATION, ['model_not_found']) } }
  },
  chatCompletions: {
    schema: {
      tags: ['inference'],
      response: { 200: Open({ id: Type.Optional(Type.String()), object: Type.Optional(Type.String()), choices: Type.Array(Type.Unknown()) }, 'A chat completion, or with `stream: true` its server-sent events') }
    },
    config: { gatewayErrors: { codes: unique(CALLER, BODY, BILLING, ROUTING, UPSTREAM, GUARD) } }
  },
  responses: {
    schema: { tags: ['inference'], response: { 200: Open({ id: Type.String(), object: Type.String({ examples: ['response'] }), output: Type.Array(Type.Unknown()) }, 'A response') } },
    config: { gatewayErrors: { codes: unique(CALLER, BODY, BILLING, ROUTING, UPSTREAM) } }
  },
  embeddings: {
    schema: { tags: ['inference'], response: { 200: Open({ object: Type.String({ examples: ['list'] }), data: Type.Array(Type.Unknown()) }, 'Embeddings') } },
    config: { gatewayErrors: { codes: unique(CALLER, BODY, BILLING, ROUTING) } }
  },
  batches: {
    schema: { tags: ['inference'], response: { 200: Open({ id: Type.String(), object: Type.String({ examples: ['batch'] }), status: Type.String() }, 'A batch') } },
    config: { gatewayErrors: { codes: unique(CALLER, ['invalid_request', 'payload_too_large', 'feature_disabled']) } }
  },
  messages: {
    schema: {
      tags: ['inference'],
      response: { 200: Open({ id: Type.String(), type: Type.String({ examples: ['message'] }), content: Type.Array(Type.Unknown()) }, 'An Anthropic message, or with `stream: true` its events') }
    },
    config: { gatewayErrors: { envelope: 'anthropic' as const, codes: unique(CALLER, BODY, BILLING, ROUTING, UPSTREAM) } }
  },
  getProject: {
    schema: { tags: ['projects'], response: { 200: Project } },
    config: { gatewayErrors: { codes: unique(CALLER, VALIDATION, ['resource_not_found']) } }
  },
  createProject: {
    schema: { tags: ['projects'], response: { 201: Project } },
    config: { gatewayErrors: { codes: unique(CALLER, BODY, ['duplicate_resource', 'idempotency_conflict']) } }
  },
  updateProject: {
    schema: { tags: ['projects'], response: { 200: Project } },
    config: { gatewayErrors: { codes: unique(CALLER, BODY, ['resource_not_found', 'field_immutable']) } }
  },
  deleteProject: {
    schema: { tags: ['projects'], response: { 200: Deleted('project.deleted') } },
    config: { gatewayErrors: { codes: unique(CALLER, VALIDATION, ['resource_not_found', 'operation_not_allowed']) } }
  },
  createKey: {
    schema: {
      tags: ['keys'],
      response: { 201: Open({ object: Type.String({ examples: ['api_key'] }), id: Type.String(), project: Type.String(), scopes: Type.Array(Type.String()), rate_limit: Type.Integer(), expires_at: Type.Optional(Type.String()), secret: Type.String() }, 'The new key, its secret shown once') }
    },
    config: { gatewayErrors: { codes: unique(CALLER, BODY, ['resource_not_found', 'state_precondition_failed']) } }
  },
  deleteKey: {
    schema: { tags: ['keys'], response: { 200: Deleted('api_key.deleted') } },
    config: { gatewayErrors: { codes: unique(CALLER, VALIDATION, MFA, ['resource_not_found']) } }
  }
}
