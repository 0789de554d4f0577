// The error reference the plugin serves with `docsRoute`: the list of codes and a page per code,
// HTML for browsers and JSON when asked (`Accept: application/json`). Built on first request, kept.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify'
import type { GatewayErrorCode } from '../catalog/catalog'
import type { Registry } from '../catalog/registry'
import { codePage, errorReference, indexPage, unknownCodePage } from './pages'

interface Page { html: string, json: string }

function wantsJson (request: FastifyRequest): boolean {
  const accept = request.headers.accept
  return accept !== undefined && accept.includes('json') && !accept.includes('text/html')
}

/** `docUrl`: where the pages say they live (`docsUrl` when set, else this route). */
// Pages of static text: no scripts, no framing by other sites (clickjacking), no type sniffing.
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

export function registerDocsRoutes (
  fastify: FastifyInstance,
  base: string,
  docUrl: (code: GatewayErrorCode) => string,
  registry: Registry
): void {
  const pages = new Map<string, Page>()

  function indexOf (): Page {
    const data = registry.codes.map((code) => {
      const { status, message, retryable } = registry.catalog[code]
      return { code, status, message, retryable, url: `${base}/${code}` }
    })
    return { html: indexPage(base, registry), json: JSON.stringify({ object: 'list', data }) }
  }

  function pageOf (key: string, build: () => Page): Page {
    let page = pages.get(key)
    if (page === undefined) {
      page = build()
      pages.set(key, page)
    }
    return page
  }

  function sendHtml (reply: FastifyReply, html: string): FastifyReply {
    reply.header('content-security-policy', PAGE_POLICY).header('x-frame-options', 'DENY')
    return reply.type('text/html; charset=utf-8').send(html)
  }

  function send (request: FastifyRequest, reply: FastifyReply, page: Page): FastifyReply {
    reply.header('vary', 'accept').header('cache-control', 'public, max-age=300')
    reply.header('x-content-type-options', 'nosniff')
    if (wantsJson(request)) return reply.type('application/json; charset=utf-8').send(page.json)
    return sendHtml(reply, page.html)
  }

  let unknownPage: string | undefined

  const hidden: FastifySchema & { hide: boolean } = { hide: true } // @fastify/swagger leaves it out of the document
  fastify.get(base, { schema: hidden }, async (request, reply) => send(request, reply, pageOf('', indexOf)))
  fastify.get(`${base}/:code`, { schema: hidden }, async (request, reply) => {
    const { code } = request.params as { code: string }
    if (!registry.has(code)) {
      // A browser gets a page; an API client (or anything not asking for HTML) the catalog error.
      if (request.headers.accept?.includes('text/html') !== true) {
        return reply.gatewayError(
          'resource_not_found',
          { resource: 'error code', id: code }
        )
      }
      reply.code(404).header('vary', 'accept').header('x-content-type-options', 'nosniff')
      unknownPage ??= unknownCodePage(base)
      return sendHtml(reply, unknownPage)
    }
    return send(request, reply, pageOf(code, () => {
      const reference = errorReference(code, docUrl(code), registry)
      return { html: codePage(reference, base), json: JSON.stringify({ ...reference, url: docUrl(code) }) }
    }))
  })
}
