// Regular expressions built from parts, and matching "A, then B nearby" in linear time. Each
// expression built here is kept in `composedPatterns`, so that the linearity test checks it beside
// the literals it finds in the source.
const composed: RegExp[] = []

/** Every expression built by `anyOf` or `compose` (for the test of every expression in lib/). */
export const composedPatterns: readonly RegExp[] = composed

/** One regular expression from a source built at start-up. */
export function compose (source: string, flags = ''): RegExp {
  const pattern = new RegExp(source, flags)
  composed.push(pattern)
  return pattern
}

/** One regular expression from alternatives written one per line (the source of each, as in a literal). */
export function anyOf (alternatives: readonly string[], flags = ''): RegExp {
  return compose(alternatives.join('|'), flags)
}

/**
 * Whether `then` matches within `within` characters after one of the first few matches of `first`
 * (a global expression): "A, then B nearby" without `A.{0,N}B`, whose backtracking costs N per
 * start. Linear: at most four windows are tested.
 */
export function followedWithin (text: string, first: RegExp, then: RegExp, within: number): boolean {
  let tried = 0
  for (const match of text.matchAll(first)) {
    const end = match.index + match[0].length
    if (then.test(text.slice(end, end + within))) return true
    if (++tried === 4) return false
  }
  return false
}

/** Whether `before` matches within `within` characters before one of the first few matches of `anchor`. */
export function precededWithin (text: string, anchor: RegExp, before: RegExp, within: number): boolean {
  let tried = 0
  for (const match of text.matchAll(anchor)) {
    if (before.test(text.slice(Math.max(0, match.index - within), match.index))) return true
    if (++tried === 4) return false
  }
  return false
}
