// The error the router throws when no provider fits: a GatewayError that keeps every rejection.
import type { GatewayErrorCode, GatewayErrorDetails } from '../catalog/catalog'
import { GatewayError, type DetailsOf } from '../reply/gateway-error'
import type { ProviderRejection } from './router'

/**
 * No provider can serve the request. Its code is the nearest miss; `rejections` lists every provider
 * and every reason. A GatewayError, so the plugin's error handler replies with it unchanged.
 */
export class CapabilityRoutingError<C extends GatewayErrorCode = GatewayErrorCode> extends GatewayError<C> {
  readonly rejections: ProviderRejection[]

  constructor (code: C, details: GatewayErrorDetails<C>, rejections: ProviderRejection[]) {
    super(code, details as DetailsOf<C>)
    this.rejections = rejections
  }
}

Object.defineProperty(
  CapabilityRoutingError.prototype,
  'name',
  { value: 'CapabilityRoutingError', writable: true, configurable: true }
)
