/**
 * The JSON store: parses and emits JSON byte-for-byte as Go sops 3.13.3
 * (`stores/json/store.go`) does.
 *
 * Parsing follows sops's token walk over Go's `encoding/json` `Decoder.Token`
 * API (v1), including its quirks:
 *
 * - the top level must be an object; anything after its closing `}` is
 *   ignored (`{"a":1} trailing` and `{"a":1}{"b":2}` load as `{"a":1}`);
 * - duplicate keys are kept, in file order;
 * - a file that ends where a *value* is expected ends the object cleanly
 *   (`{"a":` loads as `{}`, and `{"x":1,"a":[1,2` as `{"x":1}`), because sops
 *   treats `io.EOF` from a value as the end of the object; a file that ends
 *   where a *key* is expected is an error (`Expected JSON object key, got
 *   %!s(<nil>) of type <nil> instead`);
 * - numbers are typed as sops ≥ 3.13.2 types them (`UseNumber`, then
 *   `Number.Int64()` else `Number.Float64()`): a literal that `strconv.ParseInt`
 *   accepts (digits only, int64 range, `-0` included) is an int (`bigint`),
 *   anything else a float64 (`number`); a float out of range (`1e400`) fails;
 * - strings are unquoted as Go does: a lone or mismatched UTF-16 surrogate
 *   escape becomes U+FFFD, and every byte of invalid UTF-8 becomes one U+FFFD.
 *
 * Emission mirrors sops's `encodeTree` + `json.Indent` + `"\n"`: Go's
 * `json.Marshal` escaping (HTML-safe), Go's float format, comments skipped.
 *
 * @module
 */
import { ExitCode, SopsError } from '../errors.js';
import { formatFloatJSON } from '../gofmt.js';
import { Branch, Comment, SopsTime } from '../tree.js';
import type { Key, TreeBranches, TreeItem, Value } from '../tree.js';
import type { EncryptedFileParts, Format, Store, StoreOptions } from './store.js';

/** Options of {@link JsonStore}. */
export interface JsonStoreOptions extends StoreOptions {
  /**
   * Indentation of emitted JSON, as sops's `stores.json.indent` (or
   * `stores.json_binary.indent`) setting: `-1` → one tab per level, `0` →
   * newlines without indentation, `N > 0` → `N` spaces. Values below `-1` make
   * emission fail as in sops (`JSON Indentation parameter smaller than -1 is
   * not accepted`).
   * Default: `-1` (tab).
   */
  indent?: number;
  /**
   * Maximum nesting depth of objects and arrays accepted by the parser (the
   * top-level object is depth 1). Go sops has no limit; this one guards
   * against stack exhaustion on hostile input and fails with `ERR_LIMIT`.
   * Default: `128`.
   */
  maxDepth?: number;
}

/** Default of {@link JsonStoreOptions.maxDepth}. */
export const DEFAULT_JSON_MAX_DEPTH = 128;

// ---------------------------------------------------------------------------
// UTF-8, the Go way
// ---------------------------------------------------------------------------

const utf8Encoder = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Input as bytes: a JS string is encoded as UTF-8 (a lone surrogate becomes U+FFFD). */
function toBytes(data: string | Uint8Array): Uint8Array {
  if (typeof data === 'string') return utf8Encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError('data must be a string or a Uint8Array');
}

/**
 * Go `utf8.DecodeRune`: the code point at `i` and its length, or
 * `[0xfffd, 1]` for any invalid or truncated sequence. Unlike the WHATWG
 * decoder, Go always skips exactly one byte on error, so `E2 82 41` gives two
 * U+FFFD where `TextDecoder` gives one.
 */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const b0 = b[i]!;
  if (b0 < 0x80) return [b0, 1];
  const n = b.length - i;
  const cont = (x: number | undefined): boolean => x !== undefined && (x & 0xc0) === 0x80;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    if (n >= 2 && cont(b[i + 1])) return [((b0 & 0x1f) << 6) | (b[i + 1]! & 0x3f), 2];
    return [0xfffd, 1];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const b1 = b[i + 1];
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    if (n >= 3 && b1 !== undefined && b1 >= lo && b1 <= hi && cont(b[i + 2])) {
      return [((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b[i + 2]! & 0x3f), 3];
    }
    return [0xfffd, 1];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const b1 = b[i + 1];
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    if (n >= 4 && b1 !== undefined && b1 >= lo && b1 <= hi && cont(b[i + 2]) && cont(b[i + 3])) {
      return [
        ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f),
        4,
      ];
    }
    return [0xfffd, 1];
  }
  return [0xfffd, 1];
}

/** Go `string(bytes)` read as text: valid UTF-8 as is, each invalid byte as U+FFFD (Go's rule, not WHATWG's). */
function decodeGoString(b: Uint8Array): string {
  try {
    return utf8Strict.decode(b);
  } catch {
    let s = '';
    for (let i = 0; i < b.length; ) {
      const [r, size] = decodeRune(b, i);
      s += String.fromCodePoint(r);
      i += size;
    }
    return s;
  }
}

/** 1-based line and column (in code points) of byte offset `off`. */
function positionOf(b: Uint8Array, off: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  const end = Math.min(off, b.length);
  for (let i = 0; i < end; i++) {
    const c = b[i]!;
    if (c === 0x0a) {
      line++;
      column = 1;
    } else if ((c & 0xc0) !== 0x80) {
      column++;
    }
  }
  return { line, column };
}

// ---------------------------------------------------------------------------
// Go encoding/json Decoder.Token emulation
// ---------------------------------------------------------------------------

/** A syntax error as Go's `*json.SyntaxError` (message) with the byte offset of the culprit. */
class GoSyntaxError {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

/** Go's `io.EOF` from `Decoder.Token`: clean end of input where a token was expected. */
const EOF = Symbol('EOF');

/**
 * Go `quoteChar`: how `encoding/json` names a byte in an error. The byte is
 * converted as a rune (`string(c)`), so 0xEF (the first byte of a BOM) is `'ï'`.
 */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  // strconv.Quote of the one-rune string, without its double quotes.
  let s: string;
  switch (c) {
    case 0x07: s = '\\a'; break;
    case 0x08: s = '\\b'; break;
    case 0x0c: s = '\\f'; break;
    case 0x0a: s = '\\n'; break;
    case 0x0d: s = '\\r'; break;
    case 0x09: s = '\\t'; break;
    case 0x0b: s = '\\v'; break;
    case 0x5c: s = '\\\\'; break;
    default:
      if (c < 0x20 || c === 0x7f) s = '\\x' + c.toString(16).padStart(2, '0');
      // U+0080–U+009F (C1 controls), U+00A0 (NBSP) and U+00AD (soft hyphen) are not printable for strconv.
      else if ((c >= 0x80 && c <= 0xa0) || c === 0xad) s = '\\u' + c.toString(16).padStart(4, '0');
      else s = String.fromCharCode(c);
  }
  return "'" + s + "'";
}

const enum TokenState {
  TopValue,
  ArrayStart,
  ArrayValue,
  ArrayComma,
  ObjectStart,
  ObjectKey,
  ObjectColon,
  ObjectValue,
  ObjectComma,
}

type Token =
  | { kind: 'delim'; ch: '[' | ']' | '{' | '}'; offset: number }
  | { kind: 'string'; value: string; offset: number }
  | { kind: 'number'; text: string; offset: number }
  | { kind: 'bool'; value: boolean; offset: number }
  | { kind: 'null'; offset: number };

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * The token stream of Go's `json.Decoder` (`encoding/json/stream.go`):
 * commas and colons are checked and elided, delimiters are returned, scalars
 * are read whole with the scanner's error messages. The state machine and
 * every message match Go's, including the quirk that an unexpected byte
 * right after `{` is reported with no context (`invalid character '1'`).
 */
class TokenReader {
  private pos = 0;
  private state: TokenState = TokenState.TopValue;
  private readonly stack: TokenState[] = [];

  constructor(private readonly b: Uint8Array) {}

  /** Go `Decoder.Token`: the next token, or {@link EOF}. Throws {@link GoSyntaxError}. */
  next(): Token | typeof EOF {
    for (;;) {
      const b = this.b;
      while (this.pos < b.length && isSpace(b[this.pos]!)) this.pos++;
      if (this.pos >= b.length) return EOF;
      const c = b[this.pos]!;
      const at = this.pos;
      switch (c) {
        case 0x5b: // [
        case 0x7b: // {
          if (!this.valueAllowed()) throw this.tokenError(c);
          this.pos++;
          this.stack.push(this.state);
          this.state = c === 0x5b ? TokenState.ArrayStart : TokenState.ObjectStart;
          return { kind: 'delim', ch: c === 0x5b ? '[' : '{', offset: at };
        case 0x5d: // ]
          if (this.state !== TokenState.ArrayStart && this.state !== TokenState.ArrayComma) throw this.tokenError(c);
          this.pos++;
          this.state = this.stack.pop()!;
          this.valueEnd();
          return { kind: 'delim', ch: ']', offset: at };
        case 0x7d: // }
          if (this.state !== TokenState.ObjectStart && this.state !== TokenState.ObjectComma) throw this.tokenError(c);
          this.pos++;
          this.state = this.stack.pop()!;
          this.valueEnd();
          return { kind: 'delim', ch: '}', offset: at };
        case 0x3a: // :
          if (this.state !== TokenState.ObjectColon) throw this.tokenError(c);
          this.pos++;
          this.state = TokenState.ObjectValue;
          continue;
        case 0x2c: // ,
          if (this.state === TokenState.ArrayComma) {
            this.pos++;
            this.state = TokenState.ArrayValue;
            continue;
          }
          if (this.state === TokenState.ObjectComma) {
            this.pos++;
            this.state = TokenState.ObjectKey;
            continue;
          }
          throw this.tokenError(c);
        case 0x22: // "
          if (this.state === TokenState.ObjectStart || this.state === TokenState.ObjectKey) {
            const value = this.readString();
            this.state = TokenState.ObjectColon;
            return { kind: 'string', value, offset: at };
          }
          return this.value(c);
        default:
          return this.value(c);
      }
    }
  }

  /** A scalar value where Go's `Token` falls to `Decode(&any)`. */
  private value(c: number): Token {
    if (!this.valueAllowed()) throw this.tokenError(c);
    const tok = this.readScalar();
    this.valueEnd();
    return tok;
  }

  private valueAllowed(): boolean {
    const s = this.state;
    return s === TokenState.TopValue || s === TokenState.ArrayStart || s === TokenState.ArrayValue || s === TokenState.ObjectValue;
  }

  private valueEnd(): void {
    if (this.state === TokenState.ArrayStart || this.state === TokenState.ArrayValue) this.state = TokenState.ArrayComma;
    else if (this.state === TokenState.ObjectValue) this.state = TokenState.ObjectComma;
  }

  private tokenError(c: number): GoSyntaxError {
    let context = '';
    switch (this.state) {
      case TokenState.TopValue:
      case TokenState.ArrayStart:
      case TokenState.ArrayValue:
      case TokenState.ObjectValue:
        context = ' looking for beginning of value';
        break;
      case TokenState.ArrayComma:
        context = ' after array element';
        break;
      case TokenState.ObjectKey:
        context = ' looking for beginning of object key string';
        break;
      case TokenState.ObjectColon:
        context = ' after object key';
        break;
      case TokenState.ObjectComma:
        context = ' after object key:value pair';
        break;
      // TokenState.ObjectStart has no context in Go.
    }
    return new GoSyntaxError('invalid character ' + quoteChar(c) + context, this.pos);
  }

  private scanError(at: number, context: string): GoSyntaxError {
    return new GoSyntaxError('invalid character ' + quoteChar(this.b[at]!) + ' ' + context, at);
  }

  /** Go's `readValue` hitting the end of input inside a value. */
  private unexpectedEOF(): GoSyntaxError {
    return new GoSyntaxError('unexpected EOF', this.b.length);
  }

  /** One scalar value (Go `Decoder.Decode(&any)` with `UseNumber`). */
  private readScalar(): Token {
    const b = this.b;
    const at = this.pos;
    const c = b[at]!;
    if (c === 0x22) return { kind: 'string', value: this.readString(), offset: at };
    if (c === 0x2d || isDigit(c)) return { kind: 'number', text: this.readNumber(), offset: at };
    const literal = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : undefined;
    if (literal === undefined) throw this.scanError(at, 'looking for beginning of value');
    for (let k = 1; k < literal.length; k++) {
      const i = at + k;
      if (i >= b.length) throw this.unexpectedEOF();
      if (b[i] !== literal.charCodeAt(k)) {
        throw this.scanError(i, `in literal ${literal} (expecting '${literal[k]!}')`);
      }
    }
    this.pos = at + literal.length;
    if (literal === 'null') return { kind: 'null', offset: at };
    return { kind: 'bool', value: literal === 'true', offset: at };
  }

  /** A number literal, by the states of Go's scanner (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`). */
  private readNumber(): string {
    const b = this.b;
    const start = this.pos;
    let i = start;
    const need = (ok: (c: number) => boolean, context: string): void => {
      if (i >= b.length) throw this.unexpectedEOF();
      if (!ok(b[i]!)) throw this.scanError(i, context);
      i++;
    };
    if (b[i] === 0x2d) {
      i++;
      need(isDigit, 'in numeric literal');
      i--;
    }
    if (b[i] === 0x30) i++;
    else while (i < b.length && isDigit(b[i]!)) i++;
    if (b[i] === 0x2e) {
      i++;
      need(isDigit, 'after decimal point in numeric literal');
      while (i < b.length && isDigit(b[i]!)) i++;
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      need(isDigit, 'in exponent of numeric literal');
      while (i < b.length && isDigit(b[i]!)) i++;
    }
    this.pos = i;
    let text = '';
    for (let k = start; k < i; k++) text += String.fromCharCode(b[k]!);
    return text;
  }

  /** A string literal: scanned with Go's scanner errors, unquoted with Go's `unquoteBytes`. */
  private readString(): string {
    const b = this.b;
    const start = this.pos + 1;
    let i = start;
    let simple = true;
    for (;;) {
      if (i >= b.length) throw this.unexpectedEOF();
      const c = b[i]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        simple = false;
        i++;
        if (i >= b.length) throw this.unexpectedEOF();
        const e = b[i]!;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= b.length) throw this.unexpectedEOF();
            if (!isHex(b[i]!)) throw this.scanError(i, 'in \\u hexadecimal character escape');
          }
        } else if (!(e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74 || e === 0x5c || e === 0x2f || e === 0x22)) {
          throw this.scanError(i, 'in string escape code');
        }
        i++;
        continue;
      }
      if (c < 0x20) throw this.scanError(i, 'in string literal');
      i++;
    }
    this.pos = i + 1;
    const raw = b.subarray(start, i);
    if (simple) return decodeGoString(raw);
    return unquote(raw);
  }
}

function hex4(b: Uint8Array, i: number): number {
  if (i + 6 > b.length || b[i] !== 0x5c || b[i + 1] !== 0x75) return -1;
  let r = 0;
  for (let k = 2; k < 6; k++) {
    const c = b[i + k]!;
    if (!isHex(c)) return -1;
    r = r * 16 + parseInt(String.fromCharCode(c), 16);
  }
  return r;
}

/** Go `unquoteBytes` on the (already scanned) inside of a string literal with escapes. */
function unquote(b: Uint8Array): string {
  let s = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c === 0x5c) {
      const e = b[i + 1]!;
      switch (e) {
        case 0x62: s += '\b'; i += 2; break;
        case 0x66: s += '\f'; i += 2; break;
        case 0x6e: s += '\n'; i += 2; break;
        case 0x72: s += '\r'; i += 2; break;
        case 0x74: s += '\t'; i += 2; break;
        case 0x75: {
          let r = hex4(b, i);
          i += 6;
          if (r >= 0xd800 && r < 0xe000) {
            // Go: a high surrogate followed by a low one is a pair; anything else is U+FFFD.
            const r2 = hex4(b, i);
            if (r < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000) {
              s += String.fromCharCode(r, r2);
              i += 6;
              break;
            }
            r = 0xfffd;
          }
          s += String.fromCharCode(r);
          break;
        }
        default: // " \ /
          s += String.fromCharCode(e);
          i += 2;
      }
      continue;
    }
    let j = i;
    while (j < b.length && b[j] !== 0x5c) j++;
    s += decodeGoString(b.subarray(i, j));
    i = j;
  }
  return s;
}

// ---------------------------------------------------------------------------
// sops's tree walk (treeBranchFromJSON & co)
// ---------------------------------------------------------------------------

/** A sops-level load error (wrapped later as Go does) with the offset of the culprit. */
class LoadError {
  constructor(
    readonly message: string,
    readonly offset: number,
    readonly code: 'ERR_PARSE' | 'ERR_LIMIT' = 'ERR_PARSE',
  ) {}
}

/** sops `normalizeJSONNumber`: int64 when `strconv.ParseInt` accepts the literal, else float64. */
function numberValue(text: string): bigint | number | undefined {
  if (/^-?[0-9]+$/.test(text)) {
    const n = BigInt(text);
    if (n >= -(1n << 63n) && n < 1n << 63n) return n;
  }
  const x = Number(text);
  // Go strconv.ParseFloat: correctly rounded like Number(); overflow to ±Inf is ErrRange.
  return Number.isFinite(x) ? x : undefined;
}

class TreeBuilder {
  private depth = 0;
  constructor(
    private readonly tokens: TokenReader,
    private readonly maxDepth: number,
  ) {}

  private enter(offset: number): void {
    if (++this.depth > this.maxDepth) {
      throw new LoadError(`JSON nesting depth exceeds the limit of ${this.maxDepth}`, offset, 'ERR_LIMIT');
    }
  }

  private scalar(t: Exclude<Token, { kind: 'delim' }>): Value {
    switch (t.kind) {
      case 'string': return t.value;
      case 'bool': return t.value;
      case 'null': return null;
      case 'number': {
        const v = numberValue(t.text);
        // Go: `strconv.ParseFloat: parsing "<literal>": value out of range`; the literal is left out.
        if (v === undefined) throw new LoadError('strconv.ParseFloat: parsing a number: value out of range', t.offset);
        return v;
      }
    }
  }

  private token(): Token | typeof EOF {
    return this.tokens.next();
  }

  /** sops `sliceFromJSONDecoder`: `EOF` propagates (thrown). */
  slice(offset: number): Value[] {
    this.enter(offset);
    const out: Value[] = [];
    for (;;) {
      const t = this.token();
      if (t === EOF) throw EOF;
      if (t.kind === 'delim') {
        if (t.ch === ']') break;
        out.push(t.ch === '{' ? this.branch(t.offset) : this.slice(t.offset));
      } else {
        out.push(this.scalar(t));
      }
    }
    this.depth--;
    return out;
  }

  /** sops `treeBranchFromJSONDecoder`: an `EOF` from an item ends the object without error. */
  branch(offset: number): Branch {
    this.enter(offset);
    const items: TreeItem[] = [];
    for (;;) {
      let item: TreeItem | undefined;
      try {
        item = this.item();
      } catch (e) {
        if (e === EOF) break;
        throw e;
      }
      if (item === undefined) break;
      items.push(item);
    }
    this.depth--;
    return new Branch(items);
  }

  /** sops `treeItemFromJSONDecoder`: `undefined` at `}`. */
  private item(): TreeItem | undefined {
    const k = this.token();
    if (k === EOF) {
      // Go ignores io.EOF here and then fails on the nil key.
      throw new LoadError('Expected JSON object key, got %!s(<nil>) of type <nil> instead', -1);
    }
    if (k.kind === 'delim' && k.ch === '}') return undefined;
    if (k.kind !== 'string') {
      // Unreachable with Go's token states (a non-string key is a syntax error first).
      throw new LoadError('Expected JSON object key', k.offset);
    }
    const v = this.token();
    if (v === EOF) throw EOF;
    let value: Value;
    if (v.kind === 'delim') value = v.ch === '[' ? this.slice(v.offset) : this.branch(v.offset);
    else value = this.scalar(v);
    return { key: k.value, value };
  }
}

/** Go `%T` / `%#v` for a top-level non-object token in sops's error message. */
function topLevelDescription(t: Exclude<Token, { kind: 'delim' }>): string {
  switch (t.kind) {
    case 'null': return '<nil> of type <nil>';
    case 'bool': return `${t.value} of type bool`;
    // Go prints the value itself (`Got "x" of type string`); it may be a secret, so only its type is given.
    case 'string': return 'a value of type string';
    case 'number': {
      const v = numberValue(t.text);
      return `a value of type ${v === undefined ? 'json.Number' : typeof v === 'bigint' ? 'int' : 'float64'}`;
    }
  }
}

/** sops `treeBranchFromJSON`, errors wrapped as `LoadPlainFile` wraps them. */
function parseJson(data: string | Uint8Array, maxDepth: number): Branch {
  const bytes = toBytes(data);
  const tokens = new TokenReader(bytes);
  const fail = (message: string, offset: number, code: 'ERR_PARSE' | 'ERR_LIMIT' = 'ERR_PARSE'): never => {
    throw new SopsError(code, 'Could not unmarshal input data: ' + message, {
      position: positionOf(bytes, offset < 0 ? bytes.length : offset),
    });
  };
  try {
    const first = tokens.next();
    if (first === EOF) return fail('EOF', bytes.length);
    if (first.kind === 'delim') {
      if (first.ch !== '{') {
        return fail(
          `SOPS only supports JSON files with a top-level object (starting with '{'), not arrays or other types. Got delimiter ${first.ch} instead. To encrypt this file, wrap it in an object, e.g., {"data": [...]}`,
          first.offset,
        );
      }
    } else {
      return fail(
        `SOPS only supports JSON files with a top-level object (starting with '{'), not other JSON types. Got ${topLevelDescription(first)} instead`,
        first.offset,
      );
    }
    return new TreeBuilder(tokens, maxDepth).branch(first.offset);
  } catch (e) {
    if (e instanceof GoSyntaxError) return fail(e.message, e.offset);
    if (e instanceof LoadError) return fail(e.message, e.offset, e.code);
    if (e instanceof RangeError) return fail('input nested too deeply', bytes.length, 'ERR_LIMIT');
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Emission: json.Marshal escaping + json.Indent layout
// ---------------------------------------------------------------------------

/** An emission error, wrapped per level as sops's `encodeTree` does. */
class EmitError {
  constructor(readonly message: string) {}
}

/** ASCII bytes Go's `json.Marshal` writes as is (`htmlSafeSet`): printable, not `"` `\` `<` `>` `&`. */
function htmlSafe(c: number): boolean {
  return c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26;
}

function escapeAscii(c: number): string {
  switch (c) {
    case 0x22: return '\\"';
    case 0x5c: return '\\\\';
    case 0x08: return '\\b';
    case 0x0c: return '\\f';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    case 0x09: return '\\t';
    default: return '\\u00' + c.toString(16).padStart(2, '0');
  }
}

/**
 * Go `json.Marshal` of a string (HTML escaping on): `<` `>` `&` and U+2028,
 * U+2029 as `\u` escapes, `\b` `\f` `\n` `\r` `\t`, other C0 controls as
 * `\u00xx`, everything else raw. A JS string's lone surrogate is treated as
 * Go treats invalid UTF-8: written as the escape `\ufffd`.
 */
function quoteString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x80) {
      if (htmlSafe(c)) continue;
      rep = escapeAscii(c);
    } else if (c === 0x2028 || c === 0x2029) {
      rep = '\\u' + c.toString(16);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      rep = '\\ufffd';
    } else {
      continue;
    }
    out += s.slice(start, i) + rep;
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

/** Go `json.Marshal` of a Go string holding raw bytes: each invalid UTF-8 byte is written as `\ufffd`. */
function quoteBytes(b: Uint8Array): string {
  let out = '"';
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      out += htmlSafe(c) ? String.fromCharCode(c) : escapeAscii(c);
      i++;
      continue;
    }
    const [r, size] = decodeRune(b, i);
    if (size === 1) out += '\\ufffd';
    else if (r === 0x2028 || r === 0x2029) out += '\\u' + r.toString(16);
    else out += String.fromCodePoint(r);
    i += size;
  }
  return out + '"';
}

/** Go's `%T` of the Go value a tree key stands for. */
function goTypeName(k: Key): string {
  if (k === null) return '<nil>';
  if (typeof k === 'bigint') return 'int';
  if (typeof k === 'number') return 'float64';
  if (typeof k === 'boolean') return 'bool';
  if (k instanceof SopsTime) return 'time.Time';
  if (k instanceof Comment) return 'sops.Comment';
  return 'string';
}

/** Go `json.Indent`'s scanner refuses more nesting than this (`maxNestingDepth`). */
const GO_MAX_NESTING_DEPTH = 10000;

/**
 * The first delimiter, in document order, that opens a level past Go's
 * nesting limit, found without recursion (such a tree would exhaust the JS
 * stack before the limit could be seen).
 */
function firstTooDeep(root: Value): string | undefined {
  const stack: [Value, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    let children: Value[];
    let ch: string;
    if (v instanceof Branch) {
      ch = '{';
      children = v.items.filter((it) => !(it.key instanceof Comment)).map((it) => it.value);
    } else if (Array.isArray(v)) {
      ch = '[';
      children = v.filter((it) => !(it instanceof Comment));
    } else if (v instanceof Comment) {
      ch = '{';
      children = [];
    } else {
      continue;
    }
    if (depth + 1 > GO_MAX_NESTING_DEPTH) return ch;
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i]!, depth + 1]);
  }
  return undefined;
}

class Emitter {
  constructor(private readonly unit: string) {}

  private newline(depth: number): string {
    return '\n' + this.unit.repeat(depth);
  }

  /** sops `encodeValue`, laid out as `json.Indent` would lay out the compact text. */
  value(v: Value, depth: number): string {
    if (v instanceof Branch) return this.branch(v.items, depth);
    if (Array.isArray(v)) return this.list(v, depth);
    if (typeof v === 'string') return quoteString(v);
    if (v instanceof Uint8Array) return quoteBytes(v);
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') {
      // Go json.Marshal: `json: unsupported value: NaN` (+Inf, -Inf).
      if (!Number.isFinite(v)) throw new EmitError('json: unsupported value: ' + (Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf'));
      return formatFloatJSON(v);
    }
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (v === null) return 'null';
    if (v instanceof SopsTime) {
      // Go time.Time.MarshalJSON: RFC 3339 with nanoseconds; years outside 0..9999 are an error.
      if (!/^\d{4}-/.test(v.rfc3339Nano)) throw new EmitError('Time.MarshalJSON: year outside of range [0,9999]');
      return quoteString(v.rfc3339Nano);
    }
    if (v instanceof Comment) {
      // Go json.Marshal of the sops.Comment struct (a comment that is a map value, not an item).
      return this.branch(
        [
          { key: 'Value', value: v.value },
          { key: 'Inline', value: v.inline },
        ],
        depth,
      );
    }
    throw new EmitError('json: unsupported type');
  }

  /** sops `encodeArray`: comments skipped, errors not wrapped. */
  private list(list: Value[], depth: number): string {
    let out = '';
    for (const item of list) {
      if (item instanceof Comment) continue;
      out += (out === '' ? '' : ',') + this.newline(depth + 1) + this.value(item, depth + 1);
    }
    return out === '' ? '[]' : '[' + out + this.newline(depth) + ']';
  }

  /** sops `encodeTree`: comment keys skipped; the value is encoded before the key, and its error wrapped. */
  private branch(items: TreeItem[], depth: number): string {
    let out = '';
    for (const item of items) {
      if (item.key instanceof Comment) continue;
      let v: string;
      try {
        v = this.value(item.value, depth + 1);
      } catch (e) {
        if (e instanceof EmitError) throw new EmitError('Error encoding value : ' + e.message);
        throw e;
      }
      if (typeof item.key !== 'string') {
        // Go panics (`item.Key.(string)`); sops's own wording for such trees (sops.go) is used instead.
        throw new EmitError(`Tree contains a non-string key (type ${goTypeName(item.key)}). Only string keys are supported`);
      }
      out += (out === '' ? '' : ',') + this.newline(depth + 1) + quoteString(item.key) + ': ' + v;
    }
    return out === '' ? '{}' : '{' + out + this.newline(depth) + '}';
  }
}

function indentUnit(indent: number): string {
  // sops reindentJSON: -1 → tab, N ≥ 0 → N spaces, < -1 → error.
  if (indent < -1) throw new EmitError('JSON Indentation parameter smaller than -1 is not accepted');
  return indent === -1 ? '\t' : ' '.repeat(indent);
}

function checkIndent(indent: number | undefined): number {
  if (indent === undefined) return -1;
  if (!Number.isSafeInteger(indent)) throw new RangeError('indent must be an integer');
  return indent;
}

function checkMaxDepth(maxDepth: number | undefined): number {
  if (maxDepth === undefined) return DEFAULT_JSON_MAX_DEPTH;
  if (!(Number.isSafeInteger(maxDepth) && maxDepth >= 1)) throw new RangeError('maxDepth must be a positive integer');
  return maxDepth;
}

/**
 * The JSON store, byte-compatible with Go sops 3.13.3's `stores/json` Store.
 *
 * @example
 * ```ts
 * const store = new JsonStore();
 * const [branch] = store.loadPlainFile('{"b": 1, "a": [1.5, "x"]}');
 * store.emitPlainFile([branch!]); // '{\n\t"b": 1,\n\t"a": [\n\t\t1.5,\n\t\t"x"\n\t]\n}\n'
 * ```
 */
export class JsonStore implements Store {
  readonly format: Format = 'json';
  readonly indent: number;
  readonly maxDepth: number;

  constructor(options: JsonStoreOptions = {}) {
    this.indent = checkIndent(options.indent);
    this.maxDepth = checkMaxDepth(options.maxDepth);
  }

  /**
   * Parse a plaintext JSON file (sops `LoadPlainFile`). Errors are
   * `SopsError` `ERR_PARSE` with Go's message behind `Could not unmarshal
   * input data: ` and a `position`, or `ERR_LIMIT` past {@link JsonStoreOptions.maxDepth}.
   */
  loadPlainFile(data: string | Uint8Array): TreeBranches {
    return [parseJson(data, this.maxDepth)];
  }

  /**
   * Emit a plaintext JSON file (sops `EmitPlainFile`): only branch 0 is
   * written, comments are dropped, a `\n` ends the file. Errors are
   * `ERR_EMIT` with Go's message (`Error marshaling to json: …`).
   */
  emitPlainFile(branches: TreeBranches): string {
    const first = branches[0];
    if (first === undefined) throw new SopsError('ERR_EMIT', 'Error marshaling to json: there is no tree branch to emit');
    return this.emit('Error marshaling to json: ', first) + '\n';
  }

  /**
   * Parse an encrypted JSON file (sops `LoadEncryptedFile` with
   * `ExtractMetadata`): the top-level `sops` object becomes `metadata` and is
   * removed from the data. `ERR_METADATA_NOT_FOUND` when it is missing or
   * empty (Go decodes `{}` as a nil branch); `ERR_METADATA_INVALID` when it
   * is not an object or appears twice.
   */
  loadEncryptedFile(data: string | Uint8Array): EncryptedFileParts {
    const branches = this.loadPlainFile(data);
    const branch = branches[0]!;
    let metadata: Branch | undefined;
    let found = false;
    const kept: TreeItem[] = [];
    for (const item of branch.items) {
      if (item.key !== 'sops') {
        kept.push(item);
        continue;
      }
      // sops exits 1 for these (observed with `sops decrypt`), not 2.
      const exitCode = ExitCode.ErrorGeneric;
      if (found) throw new SopsError('ERR_METADATA_INVALID', 'Found duplicate sops entry', { exitCode });
      found = true;
      if (!(item.value instanceof Branch)) throw new SopsError('ERR_METADATA_INVALID', 'Found sops entry that is not a mapping', { exitCode });
      metadata = item.value;
    }
    if (metadata === undefined || metadata.items.length === 0) {
      throw new SopsError('ERR_METADATA_NOT_FOUND', 'sops metadata not found');
    }
    branch.items = kept;
    return { branches, metadata };
  }

  /**
   * Emit an encrypted JSON file (sops `EmitEncryptedFile`): branch 0 with
   * `"sops": metadata` appended as its last key. A data key `sops` in any
   * branch is refused as sops's `SerializeMetadata` refuses it.
   */
  emitEncryptedFile(branches: TreeBranches, metadata: Branch): string {
    for (const branch of branches) {
      if (branch.items.some((it) => it.key === 'sops')) {
        throw new SopsError(
          'ERR_EMIT',
          'Error marshaling metadata: Found key "sops" in encrypted data, which is a reserved key used for SOPS metadata',
        );
      }
    }
    const first = branches[0];
    if (first === undefined) throw new SopsError('ERR_EMIT', 'Error marshaling to json: there is no tree branch to emit');
    return this.emitPlainFile([new Branch([...first.items, { key: 'sops', value: metadata }])]);
  }

  /**
   * Emit one value as `sops decrypt --extract` does (sops `EmitValue`): the
   * value in the store's indentation, with no trailing newline (`5`,
   * `"x"`, `[\n\t"a"\n]`).
   */
  emitValue(value: Value): string {
    return this.emit('', value);
  }

  private emit(prefix: string, value: Value): string {
    try {
      // Go encodes first and re-indents after, so an encoding error wins over a bad indent.
      // Go json.Indent (run after encoding): `invalid character '[' exceeded max depth` past
      // 10000 levels. Checked first here; Go would report an encoding error (NaN) first.
      const tooDeep = firstTooDeep(value);
      if (tooDeep !== undefined) {
        indentUnit(this.indent);
        throw new EmitError(`invalid character '${tooDeep}' exceeded max depth`);
      }
      const out = new Emitter(this.indent < -1 ? '' : indentUnit(this.indent)).value(value, 0);
      indentUnit(this.indent);
      return out;
    } catch (e) {
      if (e instanceof EmitError) throw new SopsError('ERR_EMIT', prefix + e.message);
      if (e instanceof RangeError) throw new SopsError('ERR_LIMIT', prefix + 'tree nested too deeply', { cause: e });
      throw e;
    }
  }
}
