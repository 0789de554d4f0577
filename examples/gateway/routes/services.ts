// What the route plugins share, passed to each as its options.
import type { RequestProfile } from 'fastify-gateway-errors/routing'
import type { Auth } from '../auth'
import type { Billing } from '../billing'
import type { Forwarder, Upstream } from '../forward'
import type { Guard } from '../guard'
import type { Store } from '../store/store'

export interface Services {
  store: Store
  auth: Auth
  billing: Billing
  forwarder: Forwarder
  guard: Guard
  /** The providers the plugin's router finds able to serve, best first, or the capability code it throws. */
  route: (profile: RequestProfile) => Upstream[]
}
