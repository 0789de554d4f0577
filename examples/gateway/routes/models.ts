// The model list. `config.gatewayErrors.codes` declares what a route can answer: its OpenAPI
// document lists exactly those errors, and an undeclared one is reported in development.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { GatewayError } from 'fastify-gateway-errors'
import { modelTable } from '../model-table'
import { IdParams } from '../schemas'
import { routeDocs } from '../route-docs'
import type { Services } from './services'

export const modelRoutes: FastifyPluginAsyncTypebox<Services> = async (app, { auth }) => {
  app.get('/v1/models', routeDocs.listModels, async (request) => {
    auth.requireScope(request, 'models')
    return { object: 'list', data: Object.keys(modelTable).map((id) => ({ id, object: 'model', owned_by: 'demo' })) }
  })

  app.get('/v1/models/:id', {
    schema: { ...routeDocs.getModel.schema, params: IdParams },
    config: routeDocs.getModel.config
  }, async (request) => {
    auth.requireScope(request, 'models')
    const { id } = request.params
    // own properties only: /v1/models/__proto__ is no model
    if (!Object.hasOwn(modelTable, id)) throw new GatewayError('model_not_found', { model: id })
    return { id, object: 'model', owned_by: 'demo' }
  })
}
