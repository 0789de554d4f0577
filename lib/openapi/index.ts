// The OpenAPI documentation (@fastify/swagger): the error responses added to each route's schema
// when the document is built, and the swagger options that name components and add examples.
export { createRouteDocs, documentRoute, foreignErrorStatuses } from './route-docs'
export { withGatewayErrors } from './swagger'
