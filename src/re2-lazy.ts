/**
 * {@link compileRe2} for the root entry: the RE2 engine (`re2.ts`) behind a
 * dynamic `import()`, so that a bundle that never compiles a regex does not
 * carry it.
 * @module
 */
import type { Re2Matcher } from './re2.js';

export type { Re2Matcher };

/**
 * Compile an RE2 pattern as Go's `regexp.Compile` would: a matcher, with
 * `error` set (and never matching) when the pattern is invalid.
 * @example
 * const m = await compileRe2('^(data|stringData)$');
 * m.test('stringData'); // true
 * (await compileRe2('a{2,1001}')).error; // "error parsing regexp: invalid repeat count: `{2,1001}`"
 */
export async function compileRe2(pattern: string): Promise<Re2Matcher> {
  return (await import('./re2.js')).compileRe2(pattern);
}
