/**
 * sops matches `path_regex` and the `*_regex` selection rules with Go's
 * `regexp` (sops.go `regexp.Match`, config.go `regexp.Compile`): RE2 syntax,
 * an unanchored search, linear time. An invalid selection pattern simply
 * never matches (sops ignores the compile error); an invalid `path_regex`
 * is reported with Go's error text.
 *
 * Two engines give that behaviour here:
 *
 * - **A translation to a JavaScript `RegExp`** (flag `u`), for the patterns
 *   whose meaning is provably the same as Go's for a yes/no search and whose
 *   backtracking cost is provably linear in the input (see
 *   {@link translateRe2}). That covers the patterns people write
 *   (`^(data|stringData)$`, `^ ?enc:`, `.*password.*`, `(?i)^secret`, …) and
 *   costs a few kilobytes.
 * - **re2js** (a port of RE2/J, ~150 KB minified) for everything else, and for
 *   every pattern the translator does not accept, so compile errors keep Go's
 *   exact text. It is loaded with a dynamic `import()`, so a bundler puts it
 *   in its own chunk, fetched only when such a pattern turns up.
 *
 * Because loading re2js is asynchronous, patterns are compiled with
 * {@link compileRe2} (or {@link prepareRe2}) before a tree walk; after that
 * {@link re2Match} answers synchronously.
 * @module
 */
import type { RE2JS } from 're2js';

/** The `RE2JS` class of the re2js package. */
export type Re2jsEngine = typeof RE2JS;

/** A compiled RE2 pattern. */
export interface Re2Matcher {
  /** The RE2 pattern as given. */
  readonly pattern: string;
  /**
   * Go's `regexp.Compile` error text (e.g. ``error parsing regexp: missing
   * closing ): `(` ``), or `undefined` when the pattern is valid.
   */
  readonly error: string | undefined;
  /** Which engine matches: the translated `RegExp`, or re2js. */
  readonly engine: 'regexp' | 're2js';
  /**
   * Go `regexp.MatchString(pattern, s)`: does the pattern match anywhere in
   * `s`? Always `false` for an invalid pattern, as in sops's selection rules.
   */
  test(s: string): boolean;
}

// ---------------------------------------------------------------------------
// Translation of the RE2 subset to a JavaScript RegExp.
//
// The parser mirrors Go's regexp/syntax parser (parse.go) for the constructs
// it accepts, and gives up (returns undefined → re2js) on anything else, on
// every syntax error, and on every construct whose JavaScript meaning could
// differ:
//
// - `\pL`, `\p{Greek}`: Unicode tables differ between Go (Unicode 15.0 in
//   Go 1.26) and JavaScript engines (Node 20: Unicode 15.1+; each browser its
//   own), so newly assigned code points would be classified differently.
// - Case folding: Go folds with `unicode.SimpleFold` orbits, JavaScript `/iu`
//   with simple case folding. They agree on ASCII letters (`k` ~ `K` ~ U+212A
//   KELVIN SIGN, `s` ~ `S` ~ U+017F LONG S), which test/re2.test.ts checks
//   over every code point, so case-insensitive sets must be ASCII. JavaScript
//   has no inline flags (Node 20's V8 lacks `(?i:)`), so `i` is a flag of the
//   whole RegExp: a pattern mixing case-sensitive and case-insensitive
//   letters is not translated.
// - `\b` under `(?i)`: RE2's word boundary is always ASCII; JavaScript's
//   `\b` with `/iu` also counts U+017F and U+212A as word characters.
// - Everything is emitted explicitly rather than with JavaScript's own
//   escapes: `\s` is RE2's `[\t\n\f\r ]` (JavaScript's includes `\v` and
//   Unicode spaces), `.` is `[^\n]` (JavaScript's also excludes `\r`,
//   U+2028, U+2029), `(?m)^` is `(?<![^\n])` (JavaScript's multiline `^`
//   also follows `\r`).
// - Captures do not change whether a pattern matches, so groups become
//   `(?:…)`; greediness does not either, so `*?` and `(?U)` need no swap.
//
// A backtracking engine can take exponential or polynomial time where RE2
// is linear, and a pattern comes from the file being decrypted, so a hostile
// file could hang a naive translation (`(a+)+$`, `\w+x` on a long key). The
// translator therefore bounds the backtracking work (see `cost`) and leaves
// the rest to re2js.
// ---------------------------------------------------------------------------

/** A set of code points: `ranges` holds inclusive pairs `[lo0, hi0, lo1, hi1, …]`. */
interface SetNode {
  t: 'set';
  ranges: number[];
  /** Match the code points outside `ranges` (emitted as `[^…]`). */
  neg: boolean;
  /** Created under `(?i)`. */
  ci: boolean;
  /** Emitted as is (`.`), neutral to case folding. */
  js?: string;
}
interface AssertNode {
  t: 'assert';
  js: string;
  /** `^` / `\A` outside multi-line mode: the match can only start at 0. */
  beginText?: boolean;
  wordBoundary?: boolean;
}
interface CatNode { t: 'cat'; items: Node[] }
interface AltNode { t: 'alt'; alts: Node[] }
interface RepNode {
  t: 'rep';
  min: number;
  /** -1: unbounded */
  max: number;
  sub: Node;
  /** Written `{…}` (Go's OpRepeat, whose nesting Go limits). */
  braces?: boolean;
}
type Node = SetNode | AssertNode | CatNode | AltNode | RepNode;

/** Thrown inside the translator: "not for me", never shown to anyone. */
class Untranslatable extends Error {}
const give = (): never => {
  throw new Untranslatable();
};
/**
 * Thrown where Go's parser certainly returns an error (the text comes from
 * re2js); test/re2.test.ts checks every such verdict against Go.
 */
class Invalid extends Error {}
const invalid = (): never => {
  throw new Invalid();
};

const MAX_RUNE = 0x10ffff;
const MAX_DEPTH = 100;
const D = [0x30, 0x39];
const S = [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20];
const W = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
/** RE2's POSIX classes (all ASCII), regexp/syntax perl_groups.go. */
const POSIX: Record<string, number[]> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: D,
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: W,
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};
const PERL: Record<string, number[]> = { d: D, s: S, w: W };

const isDigit = (c: number | undefined): c is number => c !== undefined && c >= 0x30 && c <= 0x39;
const isOctal = (c: number | undefined): c is number => c !== undefined && c >= 0x30 && c <= 0x37;
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const unhex = (c: number | undefined): number => {
  if (c === undefined) return -1;
  if (isDigit(c)) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
};

/** The complement of a set of ranges within [0, MAX_RUNE]. */
function complement(ranges: number[]): number[] {
  const sorted: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) sorted.push([ranges[i]!, ranges[i + 1]!]);
  sorted.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push(next, lo - 1);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return out;
}

/**
 * Go `repeatIsValid`: nested `{…}` repetitions may not make more than 1000
 * copies of the innermost thing (`(a{100}){100}` is "invalid repeat count").
 */
function repeatIsValid(n: Node, limit: number): boolean {
  if (n.t === 'rep' && n.braces) {
    let m = n.max;
    if (m === 0) return true;
    if (m < 0) m = n.min;
    if (m > limit) return false;
    if (m > 0) limit = Math.floor(limit / m);
  }
  if (n.t === 'rep') return repeatIsValid(n.sub, limit);
  if (n.t === 'cat') return n.items.every((x) => repeatIsValid(x, limit));
  if (n.t === 'alt') return n.alts.every((x) => repeatIsValid(x, limit));
  return true;
}

class Parser {
  private pos = 0;
  private ci = false;
  private multiLine = false;
  private dotNL = false;
  constructor(private readonly p: readonly number[]) {}

  parse(): Node {
    const re = this.alternation(0);
    if (this.pos !== this.p.length) invalid(); // an unmatched `)`
    return re;
  }

  private alternation(depth: number): Node {
    if (depth > MAX_DEPTH) give();
    const alts = [this.concat(depth)];
    while (this.p[this.pos] === 0x7c /* | */) {
      this.pos++;
      alts.push(this.concat(depth));
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private concat(depth: number): Node {
    const items: Node[] = [];
    // Go refuses stacked repetition operators (`a**`, `a*{2}`): "invalid
    // nested repetition operator". After a flag group (`a(?i)*`) Go repeats
    // whatever came before; we leave both to re2js.
    let afterRepeat = false;
    let afterFlags = false;
    const p = this.p;
    for (;;) {
      const c = p[this.pos];
      if (c === undefined || c === 0x7c || c === 0x29 /* ) */) break;
      let repeat: [number, number] | undefined;
      if (c === 0x2a /* * */) repeat = [0, -1];
      else if (c === 0x2b /* + */) repeat = [1, -1];
      else if (c === 0x3f /* ? */) repeat = [0, 1];
      else if (c === 0x7b /* { */) repeat = this.repeatCount();
      if (repeat !== undefined) {
        if (c !== 0x7b) this.pos++;
        if (p[this.pos] === 0x3f) this.pos++; // non-greedy: same matches
        const last = items[items.length - 1];
        if (afterRepeat || last === undefined) invalid(); // Go: nested repetition / missing argument
        if (afterFlags || last!.t === 'assert') give(); // Go repeats what came before / an empty-width op
        const [min, max] = repeat;
        if (min > 1000 || max > 1000 || (max >= 0 && min > max)) invalid(); // Go: invalid repeat count
        const rep: RepNode = { t: 'rep', min, max, sub: last! };
        if (c === 0x7b) {
          rep.braces = true;
          if ((min >= 2 || max >= 2) && !repeatIsValid(rep, 1000)) invalid(); // Go: invalid repeat count
        }
        items[items.length - 1] = rep;
        afterRepeat = true;
        afterFlags = false;
        continue;
      }
      afterRepeat = false;
      afterFlags = false;
      switch (c) {
        case 0x28 /* ( */: {
          const group = this.group(depth);
          if (group === undefined) afterFlags = true;
          else items.push(group);
          break;
        }
        case 0x5e /* ^ */:
          this.pos++;
          items.push(this.multiLine ? { t: 'assert', js: '(?<![^\\n])' } : { t: 'assert', js: '^', beginText: true });
          break;
        case 0x24 /* $ */:
          this.pos++;
          // Go's `$` outside (?m) is \z: the very end, not before a final \n; so is JavaScript's.
          items.push({ t: 'assert', js: this.multiLine ? '(?![^\\n])' : '$' });
          break;
        case 0x2e /* . */:
          this.pos++;
          items.push(this.dotNL ? { t: 'set', ranges: [0, MAX_RUNE], neg: false, ci: false, js: '[\\u{0}-\\u{10FFFF}]' } : { t: 'set', ranges: [0x0a, 0x0a], neg: true, ci: false, js: '[^\\n]' });
          break;
        case 0x5b /* [ */:
          items.push(this.charClass());
          break;
        case 0x5c /* \ */:
          this.escape(items);
          break;
        default:
          this.pos++;
          items.push(this.literal(c));
      }
    }
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  /** Go `parseRepeat`: `{n}`, `{n,}`, `{n,m}`; anything else makes `{` a literal. */
  private repeatCount(): [number, number] | undefined {
    const p = this.p;
    let i = this.pos + 1;
    const int = (): number | undefined => {
      if (!isDigit(p[i])) return undefined;
      if (p[i] === 0x30 && isDigit(p[i + 1])) return undefined; // Go disallows leading zeros
      let n = 0;
      const start = i;
      while (isDigit(p[i])) n = n * 10 + p[i++]! - 0x30;
      return i - start > 8 ? Infinity : n;
    };
    const min = int();
    if (min === undefined) return undefined;
    let max = min;
    if (p[i] === 0x2c /* , */) {
      i++;
      if (p[i] === 0x7d) max = -1;
      else {
        const m = int();
        if (m === undefined) return undefined;
        max = m;
      }
    }
    if (p[i] !== 0x7d /* } */) return undefined;
    this.pos = i + 1;
    return [min, max];
  }

  /** `(…)`, `(?:…)`, `(?P<name>…)`, `(?<name>…)`, `(?flags)`, `(?flags:…)`; undefined for a bare flag change. */
  private group(depth: number): Node | undefined {
    const p = this.p;
    this.pos++;
    const saved = [this.ci, this.multiLine, this.dotNL] as const;
    if (p[this.pos] === 0x3f /* ? */) {
      this.pos++;
      const named = p[this.pos] === 0x3c /* < */ ? 1 : p[this.pos] === 0x50 /* P */ && p[this.pos + 1] === 0x3c ? 2 : 0;
      if (named) {
        this.pos += named;
        const start = this.pos;
        while (p[this.pos] !== undefined && p[this.pos] !== 0x3e /* > */) {
          const ch = p[this.pos]!;
          if (ch !== 0x5f && !isAlnum(ch)) invalid();
          this.pos++;
        }
        // Go accepts a repeated name (re2js does not); names do not change matches.
        if (p[this.pos] === undefined || this.pos === start) invalid();
        this.pos++;
      } else {
        // Go `parsePerlFlags`.
        let [ci, multiLine, dotNL] = saved;
        let negate = false;
        let sawFlag = false;
        for (;;) {
          const c = p[this.pos++];
          if (c === 0x69 /* i */) ci = !negate;
          else if (c === 0x6d /* m */) multiLine = !negate;
          else if (c === 0x73 /* s */) dotNL = !negate;
          else if (c === 0x55 /* U */) { /* non-greedy by default: same matches */ }
          else if (c === 0x2d /* - */ && !negate) {
            negate = true;
            sawFlag = false;
            continue;
          } else if (c === 0x3a /* : */ || c === 0x29 /* ) */) {
            if (negate && !sawFlag) invalid(); // Go: missing flag after `-`
            if (c === 0x29) {
              // Until the end of the enclosing group.
              this.ci = ci;
              this.multiLine = multiLine;
              this.dotNL = dotNL;
              return undefined;
            }
            this.ci = ci;
            this.multiLine = multiLine;
            this.dotNL = dotNL;
            break;
          } else invalid();
          sawFlag = true;
        }
      }
    }
    const re = this.alternation(depth + 1);
    if (p[this.pos] !== 0x29) invalid(); // missing closing )
    this.pos++;
    [this.ci, this.multiLine, this.dotNL] = saved;
    return re;
  }

  private literal(c: number): SetNode {
    if (c >= 0xd800 && c <= 0xdfff) give();
    // Case folding beyond ASCII depends on Unicode tables.
    if (this.ci && c >= 0x80) give();
    return { t: 'set', ranges: [c, c], neg: false, ci: this.ci };
  }

  /** A backslash outside a class (Go `parse`, case '\\'). */
  private escape(items: Node[]): void {
    const p = this.p;
    const c = p[this.pos + 1];
    switch (c) {
      case 0x41 /* A */:
        this.pos += 2;
        items.push({ t: 'assert', js: '^', beginText: true }); // \A ignores (?m)
        return;
      case 0x7a /* z */:
        this.pos += 2;
        items.push({ t: 'assert', js: '$' });
        return;
      case 0x62 /* b */:
      case 0x42 /* B */:
        this.pos += 2;
        items.push({ t: 'assert', js: c === 0x62 ? '\\b' : '\\B', wordBoundary: true });
        return;
      case 0x51 /* Q */: {
        this.pos += 2;
        while (this.pos < p.length) {
          if (p[this.pos] === 0x5c && p[this.pos + 1] === 0x45 /* \E */) {
            this.pos += 2;
            return;
          }
          items.push(this.literal(p[this.pos++]!));
        }
        return;
      }
    }
    if (c === 0x70 || c === 0x50) give(); // \p, \P: Unicode tables
    const perl = this.perlClass();
    if (perl !== undefined) {
      items.push({ t: 'set', ranges: perl.ranges, neg: perl.neg, ci: this.ci });
      return;
    }
    this.pos++;
    items.push(this.literal(this.escapedChar()));
  }

  /** `\d \D \s \S \w \W` at `pos`. */
  private perlClass(): { ranges: number[]; neg: boolean } | undefined {
    const c = this.p[this.pos + 1];
    if (this.p[this.pos] !== 0x5c || c === undefined) return undefined;
    const name = String.fromCharCode(c);
    const ranges = PERL[name] ?? PERL[name.toLowerCase()];
    if (ranges === undefined || !'dDsSwW'.includes(name)) return undefined;
    this.pos += 2;
    return { ranges, neg: name !== name.toLowerCase() };
  }

  /** Go `parseEscape`, after the backslash. */
  private escapedChar(): number {
    const p = this.p;
    const c = p[this.pos++];
    if (c === undefined) return invalid(); // trailing backslash
    if (c >= 0x31 && c <= 0x37 && !isOctal(p[this.pos])) invalid(); // a backreference
    if (c >= 0x30 && c <= 0x37) {
      let r = c - 0x30;
      for (let k = 1; k < 3 && isOctal(p[this.pos]); k++) r = r * 8 + p[this.pos++]! - 0x30;
      return r;
    }
    switch (c) {
      case 0x78 /* x */: {
        if (p[this.pos] === 0x7b /* { */) {
          this.pos++;
          let r = 0;
          let n = 0;
          while (p[this.pos] !== 0x7d) {
            const v = unhex(p[this.pos++]);
            if (v < 0) invalid();
            r = r * 16 + v;
            if (r > MAX_RUNE) invalid();
            n++;
          }
          this.pos++;
          if (n === 0) invalid();
          return r;
        }
        const x = unhex(p[this.pos]);
        const y = unhex(p[this.pos + 1]);
        if (x < 0 || y < 0) invalid();
        this.pos += 2;
        return x * 16 + y;
      }
      case 0x61 /* a */: return 0x07;
      case 0x66 /* f */: return 0x0c;
      case 0x6e /* n */: return 0x0a;
      case 0x72 /* r */: return 0x0d;
      case 0x74 /* t */: return 0x09;
      case 0x76 /* v */: return 0x0b;
    }
    if (c < 0x80 && !isAlnum(c)) return c; // escaped punctuation
    return invalid();
  }

  /** Go `parseClass`: `[…]`, `[^…]`. */
  private charClass(): SetNode {
    const p = this.p;
    this.pos++;
    let neg = false;
    if (p[this.pos] === 0x5e) {
      neg = true;
      this.pos++;
    }
    const ranges: number[] = [];
    const add = (r: number[], negated: boolean): void => {
      if (!negated) ranges.push(...r);
      else if (this.ci) give(); // Go folds, then negates; stay with ASCII sets
      else ranges.push(...complement(r));
    };
    let first = true;
    while (p[this.pos] !== 0x5d /* ] */ || first) {
      if (p[this.pos] === undefined) invalid(); // missing closing ]
      first = false;
      if (p[this.pos] === 0x5b && p[this.pos + 1] === 0x3a /* [: */) {
        // Go looks for the next `:]`; without one `[` is a plain character.
        const rest = String.fromCodePoint(...p.slice(this.pos + 2));
        const end = rest.indexOf(':]');
        if (end >= 0) {
          const name = rest.slice(0, end);
          const negated = name.startsWith('^');
          const r = POSIX[negated ? name.slice(1) : name];
          if (r === undefined) invalid();
          add(r!, negated);
          this.pos += 2 + [...name].length + 2;
          continue;
        }
      }
      const perl = this.perlClass();
      if (perl !== undefined) {
        add(perl.ranges, perl.neg);
        continue;
      }
      const lo = this.classChar();
      let hi = lo;
      if (p[this.pos] === 0x2d /* - */ && p[this.pos + 1] !== undefined && p[this.pos + 1] !== 0x5d) {
        this.pos++;
        hi = this.classChar();
        if (hi < lo) invalid(); // Go: invalid character class range
      }
      if (this.ci && hi >= 0x80) give();
      ranges.push(lo, hi);
    }
    this.pos++;
    return { t: 'set', ranges, neg, ci: this.ci };
  }

  private classChar(): number {
    const c = this.p[this.pos];
    if (c === undefined) return invalid();
    if (c !== 0x5c) {
      this.pos++;
      return c;
    }
    const n = this.p[this.pos + 1];
    if (n === 0x70 || n === 0x50) give(); // \p, \P: Unicode tables
    this.pos++;
    return this.escapedChar();
  }
}

// --- Backtracking cost ------------------------------------------------------
//
// A polynomial in n (the input length) as coefficients [c0, c1, c2, …]:
// T(x) bounds the steps a backtracking engine spends exploring x from one
// position, N(x) the number of ways x can succeed there (each way retries
// what follows). T(xy) = T(x) + N(x)·T(y), N(xy) = N(x)·N(y); an alternation
// sums both; `c*` over one character tries at most n+1 lengths. A repetition
// of anything but one character without an upper bound is refused.

type Poly = number[];
const CAP = 1e12;
function norm(a: Poly): Poly {
  const out = a.map((x) => (x > CAP ? Infinity : x));
  while (out.length > 1 && out[out.length - 1] === 0) out.pop();
  return out;
}
const add = (a: Poly, b: Poly): Poly => norm(Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0)));
function mul(a: Poly, b: Poly): Poly {
  const out: Poly = new Array<number>(a.length + b.length - 1).fill(0);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i + j]! += a[i]! * b[j]!;
  return norm(out.length > 4 ? [Infinity] : out);
}
interface Cost { T: Poly; N: Poly }
const ONE: Cost = { T: [1], N: [1] };
const seq = (x: Cost, rest: Cost): Cost => ({ T: add(x.T, mul(x.N, rest.T)), N: mul(x.N, rest.N) });

function cost(n: Node): Cost {
  switch (n.t) {
    case 'set':
    case 'assert':
      return ONE;
    case 'cat':
      return n.items.reduceRight((rest: Cost, x) => seq(cost(x), rest), ONE);
    case 'alt':
      return n.alts.map(cost).reduce((a, b) => ({ T: add(a.T, b.T), N: add(a.N, b.N) }));
    case 'rep': {
      const x = cost(n.sub);
      if (n.max < 0) {
        if (n.sub.t !== 'set') return { T: [Infinity], N: [Infinity] };
        return { T: [n.min + 1, 1], N: [1, 1] };
      }
      let opt = ONE; // (x(x(x)?)?)? for the optional copies
      for (let k = n.min; k < n.max; k++) {
        opt = seq(x, opt);
        opt = { T: add(opt.T, [1]), N: add(opt.N, [1]) };
        if (opt.T.includes(Infinity)) return opt;
      }
      let out = opt;
      for (let k = 0; k < n.min; k++) {
        out = seq(x, out);
        if (out.T.includes(Infinity)) return out;
      }
      return out;
    }
  }
}

/** The match can only begin at position 0 (`^…` outside multi-line mode). */
function beginsText(n: Node): boolean {
  if (n.t === 'assert') return n.beginText === true;
  if (n.t === 'alt') return n.alts.every(beginsText);
  if (n.t === 'cat') return n.items.length > 0 && beginsText(n.items[0]!);
  return false;
}

/**
 * For an unanchored yes/no search, a leading or trailing `c*` / `c+` /
 * `c{m,}` over one character can be cut to `c{m}`: any match using more
 * copies contains one using exactly `m` (`.*password.*` ≡ `password`). This
 * keeps the usual "contains" patterns linear.
 */
function trimEnds(n: Node): Node {
  if (n.t === 'alt') return { t: 'alt', alts: n.alts.map(trimEnds) };
  const items = n.t === 'cat' ? [...n.items] : [n];
  if (items.length === 1 && (items[0]!.t === 'alt' || items[0]!.t === 'cat')) return trimEnds(items[0]!);
  const loose = (x: Node | undefined): x is RepNode => x !== undefined && x.t === 'rep' && x.max < 0 && x.sub.t === 'set';
  const cut = (x: RepNode): Node[] => (x.min === 0 ? [] : [{ t: 'rep', min: x.min, max: x.min, sub: x.sub }]);
  while (loose(items[0])) items.splice(0, 1, ...cut(items[0]));
  while (loose(items[items.length - 1])) items.splice(items.length - 1, 1, ...cut(items[items.length - 1] as RepNode));
  return { t: 'cat', items };
}

/** Steps per input character we accept for the backtracking engine. */
const BUDGET = 10_000;

function hex(c: number): string {
  return isAlnum(c) ? String.fromCharCode(c) : `\\u{${c.toString(16)}}`;
}

function emit(n: Node): string {
  switch (n.t) {
    case 'set': {
      if (n.js !== undefined) return n.js;
      if (!n.neg && n.ranges.length === 2 && n.ranges[0] === n.ranges[1]) return hex(n.ranges[0]!);
      let s = n.neg ? '[^' : '[';
      for (let i = 0; i < n.ranges.length; i += 2) s += n.ranges[i] === n.ranges[i + 1] ? hex(n.ranges[i]!) : `${hex(n.ranges[i]!)}-${hex(n.ranges[i + 1]!)}`;
      return s + ']';
    }
    case 'assert':
      return n.js;
    case 'cat':
      return n.items.map((x) => (x.t === 'alt' ? `(?:${emit(x)})` : emit(x))).join('');
    case 'alt':
      return n.alts.map(emit).join('|');
    case 'rep': {
      const sub = n.sub.t === 'set' ? emit(n.sub) : `(?:${emit(n.sub)})`;
      if (n.min === 1 && n.max === 1) return sub;
      const q = n.max < 0 ? (n.min === 0 ? '*' : n.min === 1 ? '+' : `{${n.min},}`) : n.min === n.max ? `{${n.min}}` : n.min === 0 && n.max === 1 ? '?' : `{${n.min},${n.max}}`;
      return sub + q;
    }
  }
}

/** Walk every node (for the case-folding and `\b` checks). */
function* nodes(n: Node): Generator<Node> {
  yield n;
  if (n.t === 'cat') for (const x of n.items) yield* nodes(x);
  else if (n.t === 'alt') for (const x of n.alts) yield* nodes(x);
  else if (n.t === 'rep') yield* nodes(n.sub);
}

/**
 * Translate an RE2 pattern to a JavaScript `RegExp` whose `test(s)` equals
 * Go's `regexp.MatchString(pattern, s)` for every well-formed string `s`,
 * and whose backtracking work is at most linear in `s`. Returns `undefined`
 * for any pattern outside that subset, including every invalid pattern.
 * @internal exported for test/re2.test.ts
 */
export function translateRe2(pattern: string): RegExp | undefined {
  const re = analyze(pattern);
  return re === 'invalid' ? undefined : re;
}

/** {@link translateRe2}, or `'invalid'` where Go's `regexp.Compile` certainly fails. */
function analyze(pattern: string): RegExp | 'invalid' | undefined {
  if (pattern.length > 4096 || /\p{Cs}/u.test(pattern)) return undefined;
  let tree: Node;
  try {
    tree = new Parser(Array.from(pattern, (ch) => ch.codePointAt(0)!)).parse();
  } catch (e) {
    if (e instanceof Invalid) return 'invalid';
    if (e instanceof Untranslatable || e instanceof RangeError) return undefined;
    throw e;
  }
  let ci = false;
  let cs = false;
  let wordBoundary = false;
  for (const n of nodes(tree)) {
    if (n.t === 'assert' && n.wordBoundary) wordBoundary = true;
    if (n.t !== 'set' || n.js !== undefined) continue;
    // Does JavaScript's `i` flag change this set? Only if it holds a letter:
    // nothing outside ASCII folds to an ASCII digit or punctuation mark.
    let letters = false;
    for (let i = 0; i < n.ranges.length; i += 2) {
      const lo = n.ranges[i]!;
      const hi = n.ranges[i + 1]!;
      if (hi >= 0x80 || (lo <= 0x5a && hi >= 0x41) || (lo <= 0x7a && hi >= 0x61)) letters = true;
    }
    if (letters && n.ci) ci = true;
    if (letters && !n.ci) cs = true;
  }
  if ((ci && cs) || (ci && wordBoundary)) return undefined;
  const anchored = beginsText(tree);
  if (!anchored) tree = trimEnds(tree);
  const { T } = cost(tree);
  // Unanchored, every start position pays T; anchored, one does and the
  // others fail at `^` at once.
  const total = anchored ? add(T, [0, pattern.length]) : mul(T, [1, 1]);
  if (total.length > 2 || total.some((x) => !(x <= BUDGET))) return undefined;
  // V8 tries zero-width matches in the middle of a surrogate pair (`/\B/u`
  // matches "a😀b" at index 2); a lazy prefix makes every start a code point
  // boundary, at the same cost as the unanchored search it replaces.
  const source = anchored ? emit(tree) : `^[^]*?(?:${emit(tree)})`;
  try {
    return new RegExp(source, ci ? 'iu' : 'u');
  } catch {
    return undefined; // not expected: emit only writes valid syntax
  }
}

// ---------------------------------------------------------------------------
// Matchers, the re2js fallback, and the cache.
// ---------------------------------------------------------------------------

/**
 * Go sees strings as UTF-8: a lone surrogate (from a JSON `"\ud800"` escape)
 * is U+FFFD there, so it is here too, for both engines.
 */
const wellFormed = (s: string): string => (/\p{Cs}/u.test(s) ? s.replace(/\p{Cs}/gu, '\uFFFD') : s);

let re2js: Re2jsEngine | undefined;
const cache = new Map<string, Re2Matcher>();
/** Patterns known to be invalid before re2js is loaded to tell Go's error text. */
const invalidWithoutText = new Set<string>();

function remember(m: Re2Matcher): Re2Matcher {
  if (cache.size >= 256) cache.clear();
  cache.set(m.pattern, m);
  return m;
}

function viaRe2js(pattern: string, engine: Re2jsEngine): Re2Matcher {
  try {
    const re = engine.compile(pattern);
    return { pattern, error: undefined, engine: 're2js', test: (s) => re.matcher(wellFormed(s)).find() };
  } catch (e) {
    // re2js's messages are Go's ("error parsing regexp: <code>: `<expr>`"),
    // except for a trailing backslash, where Go also quotes an empty expression.
    let error = e instanceof Error ? e.message : String(e);
    if (error === 'error parsing regexp: trailing backslash at end of expression') error += ': ``';
    return { pattern, error, engine: 're2js', test: () => false };
  }
}

/**
 * Compile `pattern` without waiting: through the translator, or through
 * re2js if it is loaded already (or passed as `engine`). Returns `undefined`
 * when the pattern needs re2js and it is not loaded; {@link compileRe2}
 * loads it.
 * @example
 * import { RE2JS } from 're2js';
 * compileRe2Sync('^(data|stringData)$')?.test('data'); // true, no re2js needed
 * compileRe2Sync('(', RE2JS)?.error; // "error parsing regexp: missing closing ): `(`"
 */
export function compileRe2Sync(pattern: string, engine?: Re2jsEngine): Re2Matcher | undefined {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  if (engine !== undefined) re2js ??= engine;
  const re = invalidWithoutText.has(pattern) ? 'invalid' : analyze(pattern);
  if (re instanceof RegExp) return remember({ pattern, error: undefined, engine: 'regexp', test: (s) => re.test(wellFormed(s)) });
  if (re2js !== undefined) return remember(viaRe2js(pattern, re2js));
  if (re === 'invalid') {
    if (invalidWithoutText.size >= 256) invalidWithoutText.clear();
    invalidWithoutText.add(pattern);
  }
  return undefined;
}

/**
 * Compile an RE2 pattern as Go's `regexp.Compile` would: a matcher, with
 * `error` set (and never matching) when the pattern is invalid. Loads re2js
 * (a separate chunk in a bundle) only when the translator cannot take the
 * pattern.
 * @example
 * const m = await compileRe2('^(data|stringData)$');
 * m.test('stringData'); // true
 * (await compileRe2('a{2,1001}')).error; // "error parsing regexp: invalid repeat count: `{2,1001}`"
 */
export async function compileRe2(pattern: string): Promise<Re2Matcher> {
  const m = compileRe2Sync(pattern);
  if (m !== undefined) return m;
  const { RE2JS: engine } = await import('re2js');
  return compileRe2Sync(pattern, engine)!;
}

/**
 * Compile every pattern given (skipping `undefined` and `''`), so that
 * {@link re2Match} can then answer for them synchronously.
 * @example
 * await prepareRe2([rules.encryptedRegex, rules.unencryptedRegex]);
 */
export async function prepareRe2(patterns: Iterable<string | undefined>): Promise<void> {
  await Promise.all([...patterns].filter((p): p is string => p !== undefined && p !== '').map(compileRe2));
}

/**
 * Go `regexp.Match(pattern, []byte(s))` with the compile error ignored, as
 * sops's selection rules do: an invalid pattern never matches. Synchronous
 * for the patterns the translator takes and the ones it knows to be invalid;
 * any other pattern (valid, but needing re2js) must have been compiled with
 * {@link compileRe2} / {@link prepareRe2} first, or this throws.
 * @example
 * re2Match('^(data|stringData)$', 'data'); // true
 * re2Match('[', 'x'); // false: Go cannot compile it
 */
export function re2Match(pattern: string, s: string): boolean {
  const m = compileRe2Sync(pattern);
  if (m !== undefined) return m.test(s);
  if (invalidWithoutText.has(pattern)) return false;
  throw new Error(`the RE2 pattern ${JSON.stringify(pattern)} needs re2js: compile it with await compileRe2() first`);
}
