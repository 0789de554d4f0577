// Which methods a path answers to, so an unknown method on a known path gets 405 and an Allow
// header rather than 404. Fastify does not expose this; we mirror its routes as they are added.
import FindMyWay from 'find-my-way'

export interface RouteTable {
  add (method: string | string[], url: string): void
  /** The methods registered for the path of `url`, sorted; empty when the path is unknown. */
  allowed (url: string): string[]
}

export function createRouteTable (options: { ignoreTrailingSlash?: boolean, ignoreDuplicateSlashes?: boolean, caseSensitive?: boolean } = {}): RouteTable {
  const router = FindMyWay({ ...options, allowUnsafeRegex: true })
  const methods = new Set<string>()
  /* c8 ignore next */
  const noop = (): void => {}
  return {
    add (method, url) {
      for (const m of Array.isArray(method) ? method : [method]) {
        methods.add(m)
        try {
          router.on(m as FindMyWay.HTTPMethod, url, noop)
        } catch {
          // a duplicate (HEAD added twice, a constrained twin): the first is enough to answer Allow
        }
      }
    },
    allowed (url) {
      const query = url.indexOf('?')
      const path = query === -1 ? url : url.slice(0, query)
      const found: string[] = []
      for (const method of methods) {
        if (router.find(method as FindMyWay.HTTPMethod, path) !== null) found.push(method)
      }
      return found.sort()
    }
  }
}
