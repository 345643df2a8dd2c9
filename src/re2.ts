/**
 * sops matches `*_regex` rules with Go's `regexp` (RE2 syntax, unanchored,
 * and an invalid pattern simply never matches). This compiles an RE2 pattern
 * to a JS RegExp, or to `undefined` where Go would fail to compile it, so the
 * same rule selects the same keys.
 * @module
 */

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, RegExp | null>();

/** Compile an RE2 pattern; `undefined` where Go's `regexp.Compile` would return an error. */
export function compileRe2(pattern: string): RegExp | undefined {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit ?? undefined;
  const re = translate(pattern);
  cache.set(pattern, re ?? null);
  return re;
}

function translate(pattern: string): RegExp | undefined {
  // Constructs RE2 rejects but JS accepts: lookaround and backreferences.
  if (/\(\?<?[=!]/.test(pattern) || /(^|[^\\])(\\\\)*\\[1-9]/.test(pattern)) return undefined;
  let flags = 'u';
  let src = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    if (lead[1]!.includes('U')) return undefined; // ungreedy mode has no JS equivalent
    for (const f of lead[1]!) if (!flags.includes(f)) flags += f;
    src = src.slice(lead[0].length);
  }
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])')
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => {
      const cls = POSIX[name];
      if (cls === undefined) return m;
      return neg ? `^${cls}` : cls; // only valid inside a bracket expression, as in RE2
    });
  for (const f of [flags, flags.replace('u', '')]) {
    try {
      return new RegExp(src, f);
    } catch {
      // try without the u flag: some identity escapes are only valid there
    }
  }
  return undefined;
}

/** Go `regexp.Match(pattern, []byte(s))`, with a compile error meaning no match. */
export function re2Match(pattern: string, s: string): boolean {
  const re = compileRe2(pattern);
  return re !== undefined && re.test(s);
}
