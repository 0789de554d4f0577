/** One regular expression from alternatives written one per line (the source of each, as in a literal). */
export function anyOf (alternatives: readonly string[], flags = ''): RegExp {
  return new RegExp(alternatives.join('|'), flags)
}
