// The error pages as a browser shows them: headless Chromium (Debian's `chromium`, which .ci/run
// installs when missing) opens every page at a desktop and a phone width. Nothing scrolls sideways,
// every page is HTML with its protections, and an unknown code is a page for browsers and the catalog
// error for API clients.
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import puppeteer from 'puppeteer-core'
import t from 'tap'
import { codes } from '../internals'
import { buildApp } from '../helpers'

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((path) => existsSync(path))
const skip = chromium === undefined && process.env.CI !== 'true' ? 'no Chromium on this machine (CI installs it)' : false
t.test('every error page, at 1280 px and on a 390 px phone', { skip }, async (t) => {
  if (!t.ok(chromium, 'Chromium is installed') || chromium === undefined) return
  const app = await buildApp({ docsRoute: '/errors' })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const urls: Array<[string, number]> = [['/errors', 200], ...codes.map((code): [string, number] => [`/errors/${code}`, 200]), ['/errors/nope', 404], ['/errors/%3Cscript%3Ealert(1)%3C%2Fscript%3E', 404]]
  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 3 }]) {
    await page.setViewport(viewport)
    const overflowing: string[] = []
    for (const [url, status] of urls) {
      const response = await page.goto(`${origin}${url}`, { waitUntil: 'load' })
      const where = `${url} at ${viewport.width} px`
      t.equal(response?.status(), status, `${where}: ${status}`)
      const headers = response?.headers() ?? {}
      t.match(headers['content-type'], /^text\/html/, `${where}: a page`)
      t.equal(headers['x-content-type-options'], 'nosniff', `${where}: nosniff`)
      t.match(headers['content-security-policy'], "frame-ancestors 'none'", `${where}: cannot be framed`)
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number
      if (overflow > 0) overflowing.push(`${url} (+${overflow} px)`)
      if (status === 404) {
        t.match(await page.title(), 'Unknown error code', `${where}: says so`)
        t.notOk(await page.$('script'), `${where}: nothing of the URL is run`)
      }
    }
    t.same(overflowing, [], `no page scrolls sideways at ${viewport.width} px`)
  }
  const api = await fetch(`${origin}/errors/nope`, { headers: { accept: 'application/json' } })
  t.equal(api.status, 404)
  t.equal(((await api.json()) as { error: { code: string } }).error.code, 'resource_not_found', 'an API client gets the catalog error')
  const curl = await fetch(`${origin}/errors/nope`, { headers: { accept: '*/*' } })
  t.match(curl.headers.get('content-type'), /^application\/json/, 'curl too')
})
