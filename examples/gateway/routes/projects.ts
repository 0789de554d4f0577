// Projects and keys. Both belong to an account, and project ids are named within it: another
// account's project or key is resource_not_found, and its ids are never confirmed (another account
// may use the same id). Budgets are the admin's: creating a project and setting a budget need the
// `admin` scope, a deleted project keeps what it spent (its id is not given out again) and its keys
// die with it, and other keys mint keys only for their own project, expiring no later than they do
// and counted in their own rate-limit window, so no key can get itself a fresh budget, quota
// (counted per project) or rate limit. Keys are named by id, never by secret.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { GatewayError } from 'fastify-gateway-errors'
import { createHash } from 'node:crypto'
import { IdParams, KeyBody, ProjectBody, ProjectPatch } from '../schemas'
import { USD } from '../store/seed'
import { SCOPES, type Project, type Scope } from '../store/store'
import { routeDocs } from '../route-docs'
import type { Services } from './services'

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/

export const projectRoutes: FastifyPluginAsyncTypebox<Services> = async (app, { store, auth }) => {
  async function ownedProject (request: FastifyRequest, id: string): Promise<Project> {
    const project = await store.project(request.caller.account, id)
    if (project === undefined || project.state === 'deleted') throw new GatewayError('resource_not_found', { resource: 'project', id })
    return project
  }

  function view (project: Project) {
    return { id: project.id, object: 'project', name: project.name.trim(), state: project.state, budget_usd: project.budgetMicros / USD }
  }

  app.get('/v1/projects/:id', { schema: { ...routeDocs.getProject.schema, params: IdParams }, config: routeDocs.getProject.config }, async (request) => {
    auth.requireScope(request, 'projects')
    const project = await ownedProject(request, request.params.id)
    return { ...view(project), spent_usd: await store.spentMicros(project.account, project.id) / USD, created_at: new Date(project.createdAt).toISOString() }
  })

  app.post('/v1/projects', { schema: { ...routeDocs.createProject.schema, body: ProjectBody }, config: routeDocs.createProject.config }, async (request, reply) => {
    auth.requireScope(request, 'projects')
    auth.requireScope(request, 'admin')
    const idempotencyKey = request.headers['idempotency-key']
    if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey))) {
      throw new GatewayError('invalid_parameter_value', { param: 'Idempotency-Key', reason: 'must be one of 1 to 255 printable characters' })
    }
    const create = async () => {
      const project: Project = {
        id: request.body.id,
        account: request.caller.account,
        name: request.body.name,
        state: 'active',
        budgetMicros: Math.round((request.body.budget_usd ?? 100) * USD),
        createdAt: Date.now()
      }
      // A project this account deleted is still a duplicate: its id keeps what it spent.
      if (!await store.createProject(project)) throw new GatewayError('duplicate_resource', { resource: 'project', id: project.id })
      return view(project)
    }
    if (idempotencyKey === undefined) return reply.code(201).send(await create())
    // Records belong to the caller's project: another project's same key is another request. The
    // first request to claim a key runs; the same key and payload replays its reply, from any instance.
    const scope = request.caller.project
    const fingerprint = createHash('sha256').update(JSON.stringify(request.body)).digest('base64url')
    const claim = await store.claimIdempotency(scope, idempotencyKey, fingerprint)
    if (claim.state === 'replay') return reply.code(201).send(claim.response as ReturnType<typeof view>)
    if (claim.state !== 'new') throw new GatewayError('idempotency_conflict', { idempotency_key: idempotencyKey })
    let response
    try {
      response = await create()
    } catch (error) {
      await store.abandonIdempotency(scope, idempotencyKey).catch(() => {})
      throw error
    }
    await store.completeIdempotency(scope, idempotencyKey, response)
    return reply.code(201).send(response)
  })

  app.patch('/v1/projects/:id', { schema: { ...routeDocs.updateProject.schema, params: IdParams, body: ProjectPatch }, config: routeDocs.updateProject.config }, async (request) => {
    auth.requireScope(request, 'projects')
    const project = await ownedProject(request, request.params.id)
    for (const field of ['id', 'created_at'] as const) {
      if (request.body[field] !== undefined) throw new GatewayError('field_immutable', { param: field })
    }
    if (request.body.budget_usd !== undefined) auth.requireScope(request, 'admin')
    const patch = {
      name: request.body.name ?? project.name,
      budgetMicros: request.body.budget_usd === undefined ? project.budgetMicros : Math.round(request.body.budget_usd * USD)
    }
    const updated = await store.updateProject(project.account, project.id, patch)
    if (updated === undefined) throw new GatewayError('resource_not_found', { resource: 'project', id: project.id })
    return view(updated)
  })

  app.delete('/v1/projects/:id', { schema: { ...routeDocs.deleteProject.schema, params: IdParams }, config: routeDocs.deleteProject.config }, async (request) => {
    auth.requireScope(request, 'projects')
    const project = await ownedProject(request, request.params.id)
    if (project.default === true) throw new GatewayError('operation_not_allowed', { operation: 'delete the default project' })
    await store.deleteProject(project.account, project.id)
    return { id: project.id, object: 'project.deleted', deleted: true }
  })

  // A new key: its secret is shown once, here; afterwards it is named by its id.
  // (no body at all means the defaults)
  const noBodyIsEmpty = async (request: FastifyRequest) => { request.body ??= {} }
  app.post('/v1/projects/:id/keys', {
    schema: { ...routeDocs.createKey.schema, params: IdParams, body: KeyBody }, config: routeDocs.createKey.config, preValidation: noBodyIsEmpty
  }, async (request, reply) => {
    auth.requireScope(request, 'keys')
    const project = await ownedProject(request, request.params.id)
    // Another project has its own budget: only the admin may hand out keys to it.
    if (project.id !== request.caller.project) auth.requireScope(request, 'admin')
    if (project.state !== 'active') throw new GatewayError('state_precondition_failed', { resource: 'project', state: project.state, required_state: 'active' })
    const scopes = request.body.scopes ?? request.caller.scopes.filter((scope) => scope !== 'admin')
    // A key cannot grant more than it has.
    for (const scope of scopes) {
      if (!(SCOPES as readonly string[]).includes(scope) || !request.caller.scopes.includes(scope as Scope)) {
        throw new GatewayError('insufficient_permissions', { required_scope: scope })
      }
    }
    const created = await store.createKey({
      account: request.caller.account,
      project: project.id,
      plan: request.caller.plan,
      scopes: scopes as Scope[],
      rateLimit: Math.min(request.body.rate_limit ?? request.caller.rateLimit, request.caller.rateLimit),
      ...(request.caller.expiresAt === undefined ? {} : { expiresAt: request.caller.expiresAt }),
      ...(request.caller.scopes.includes('admin') ? {} : { limitBucket: request.caller.limitBucket ?? request.caller.id })
    })
    // The project was archived or deleted since it was read.
    if (created === undefined) throw new GatewayError('state_precondition_failed', { resource: 'project', state: 'not active', required_state: 'active' })
    const { key, secret } = created
    const expiry = key.expiresAt === undefined ? {} : { expires_at: new Date(key.expiresAt).toISOString() }
    return reply.code(201).send({ object: 'api_key', id: key.id, project: project.id, scopes: key.scopes, rate_limit: key.rateLimit, ...expiry, secret })
  })

  app.delete('/v1/keys/:id', { schema: { ...routeDocs.deleteKey.schema, params: IdParams }, config: routeDocs.deleteKey.config }, async (request) => {
    auth.requireScope(request, 'keys')
    await auth.requireMfa(request)
    const key = await store.key(request.params.id)
    if (key === undefined || key.account !== request.caller.account || !await store.deleteKey(key.id)) {
      throw new GatewayError('resource_not_found', { resource: 'api_key', id: request.params.id })
    }
    return { id: key.id, object: 'api_key.deleted', deleted: true }
  })
}
