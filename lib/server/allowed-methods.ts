// Which methods a path answers to, so an unknown method on a known path gets 405 and an Allow
// header rather than 404. Fastify does not expose this; we mirror its routes as they are added.
import FindMyWay from 'find-my-way'

export interface RouteTable {
  add (method: string | string[], url: string): void
  /** The methods registered for the path of `url`, sorted; empty when the path is unknown. */
  allowed (url: string): string[]
}

const CATCH_ALL = /^\/?\*$/

// Routes are only recorded at start-up; the mirror router is built on the first unknown request.
export function createRouteTable (options: {
  ignoreTrailingSlash?: boolean,
  ignoreDuplicateSlashes?: boolean,
  caseSensitive?: boolean
} = {}): RouteTable {
  const pending: Array<[string, string]> = []
  const methods = new Set<string>()
  const router = FindMyWay({ ...options, allowUnsafeRegex: true })
  /* c8 ignore next */
  const noop = (): void => {}
  function build (): void {
    for (const [method, url] of pending.splice(0)) {
      try {
        router.on(method as FindMyWay.HTTPMethod, url, noop)
      } catch {
        // a duplicate (HEAD added twice, a constrained twin): the first is enough to answer Allow
      }
    }
  }
  return {
    add (method, url) {
      // A catch-all (@fastify/cors's `OPTIONS *`) matches every path: it says nothing of which
      // paths exist, and would turn every 404 into a 405.
      if (CATCH_ALL.test(url)) return
      for (const m of Array.isArray(method) ? method : [method]) {
        methods.add(m)
        pending.push([m, url])
      }
    },
    allowed (url) {
      if (pending.length > 0) build()
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
