/**
 * sops matches `*_regex` rules with Go's `regexp`: RE2 syntax, unanchored,
 * linear time, and an invalid pattern simply never matches (sops ignores the
 * compile error). We use re2js, a port of RE2/J, so the same pattern selects
 * the same keys and a hostile pattern from a file cannot make matching
 * exponential (a backtracking JS RegExp could).
 * @module
 */
import { RE2JS } from 're2js';

const cache = new Map<string, RE2JS | null>();

/** Compile an RE2 pattern; `undefined` where Go's `regexp.Compile` would return an error. */
export function compileRe2(pattern: string): RE2JS | undefined {
  let re = cache.get(pattern);
  if (re === undefined) {
    try {
      re = RE2JS.compile(pattern);
    } catch {
      re = null;
    }
    if (cache.size > 256) cache.clear();
    cache.set(pattern, re);
  }
  return re ?? undefined;
}

/** Go `regexp.Match(pattern, []byte(s))`, with a compile error meaning no match. */
export function re2Match(pattern: string, s: string): boolean {
  const re = compileRe2(pattern);
  return re !== undefined && re.matcher(s).find();
}
