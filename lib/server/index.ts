// Helpers for the Fastify server around the plugin: its framework and client errors as catalog
// replies, log serializers that keep secrets out of logs, and the methods each URL allows (405).
export { createRouteTable } from './allowed-methods'
export { bareBody, gatewayClientErrorHandler, gatewayFrameworkErrors, registerTranslator } from './framework-errors'
export { gatewayLogSerializers } from './log-serializers'
