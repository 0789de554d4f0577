import t from 'tap'
import { capWait, MAX_RETRY_AFTER_MS, parseRetryAfter, parseRetryAfterMs } from '../../lib/catalog/retry-after'

t.test('parseRetryAfter: delay-seconds, HTTP dates, and nothing else', async (t) => {
  const now = Date.parse('2026-11-25T12:00:00Z')
  t.equal(parseRetryAfter('7', now), 7000)
  t.equal(parseRetryAfter(' 1.5 ', now), 1500)
  t.equal(parseRetryAfter(3, now), 3000, 'a number, as a header object may hold')
  t.equal(parseRetryAfter(['2', '9'], now), 2000, 'the first of repeated headers')
  t.equal(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now), 30_000)
  t.equal(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now), 0, 'a date in the past: no wait')
  for (const bad of ['soon', '-1', 'Xyz, 99 Abc 2026 99:99:99 GMT', '', 'x'.repeat(100), undefined, null, {}, -3, Number.NaN]) {
    t.equal(parseRetryAfter(bad, now), undefined, `${String(bad).slice(0, 10)}: not a wait`)
  }
})

t.test('parseRetryAfterMs and capWait', async (t) => {
  t.equal(parseRetryAfterMs('750'), 750)
  t.equal(parseRetryAfterMs(20), 20)
  t.equal(parseRetryAfterMs(['5']), 5)
  for (const bad of ['', ' ', 'x', '-2', undefined, null, {}]) t.equal(parseRetryAfterMs(bad), undefined)
  t.equal(capWait(1.2), 2, 'rounded up to whole ms')
  t.equal(capWait(3_600_000), MAX_RETRY_AFTER_MS, 'capped at what the SDKs honour')
  for (const bad of [-1, Number.NaN, Infinity, '5', undefined]) t.equal(capWait(bad), undefined)
})
