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
import { fromUtf8, utf8 } from '../encoding.js';
import { ExitCode, SopsError } from '../errors.js';
import { formatFloatG, formatFloatJSON, goJsonQuote, goQuote, parseGoInt } from '../gofmt.js';
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

/**
 * Go `string(bytes)` read as text: valid UTF-8 as is, and each byte where Go's
 * `utf8.DecodeRune` fails (`RuneError`, width 1) as `invalid`, U+FFFD by
 * default. Unlike the WHATWG decoder, Go always skips exactly one byte on
 * error, so `E2 82 41` gives two U+FFFD where `TextDecoder` gives one.
 */
function decodeGoString(b: Uint8Array, invalid = '\ufffd'): string {
  const text = fromUtf8(b);
  if (text !== undefined) return text;
  let s = '';
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    // The length the lead byte announces; the strict decoder rejects the
    // rest (stray continuation bytes, overlong forms, surrogates, > U+10FFFF,
    // a sequence cut short) exactly where DecodeRune does.
    const n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    const rune = fromUtf8(b.subarray(i, i + n));
    s += rune ?? invalid;
    i += rune === undefined ? 1 : n;
  }
  return s;
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

/**
 * An error as Go reports it: a syntax error (Go's `*json.SyntaxError`), a
 * sops-level load error, or an emission error (wrapped per level as sops's
 * `encodeTree` does), with the byte offset of the culprit when loading (-1:
 * the end of input).
 */
class GoError {
  constructor(
    readonly message: string,
    readonly offset = -1,
    readonly code: 'ERR_PARSE' | 'ERR_LIMIT' = 'ERR_PARSE',
  ) {}
}

/** Go's `io.EOF` from `Decoder.Token`: clean end of input where a token was expected. */
const EOF = Symbol('EOF');

/**
 * Go `quoteChar`: how `encoding/json` names a byte in an error, as
 * `strconv.QuoteRune` would (`'` escaped, `"` not). The byte is converted as a
 * rune (`string(c)`), so 0xEF (the first byte of a BOM) is `'ï'`.
 */
function quoteChar(c: number): string {
  return "'" + (c === 0x27 ? "\\'" : c === 0x22 ? '"' : goQuote(String.fromCharCode(c)).slice(1, -1)) + "'";
}

/** Where Go's decoder stands: what the next token may be. */
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

const BEGINNING_OF_VALUE = 'looking for beginning of value';

/** The context of Go's `invalid character` error in each state, in {@link TokenState} order (none right after `{`, a Go quirk). */
const TOKEN_ERROR_CONTEXT: readonly string[] = [
  BEGINNING_OF_VALUE, // TopValue
  BEGINNING_OF_VALUE, // ArrayStart
  BEGINNING_OF_VALUE, // ArrayValue
  'after array element', // ArrayComma
  '', // ObjectStart
  'looking for beginning of object key string', // ObjectKey
  'after object key', // ObjectColon
  BEGINNING_OF_VALUE, // ObjectValue
  'after object key:value pair', // ObjectComma
];

/** Whether a value may start in this state. */
function valueAllowed(s: TokenState): boolean {
  return s === TokenState.TopValue || s === TokenState.ArrayStart || s === TokenState.ArrayValue || s === TokenState.ObjectValue;
}

/** A scalar token: a string or a literal (`true`, `false`, `null`), or the text of a number. */
type ScalarToken = { value: string | boolean | null } | { number: string };

/** A token: a delimiter (`[`, `]`, `{`, `}`) or a scalar. */
type Token = string | ScalarToken;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The one-character escapes Go's scanner accepts after `\` (`\u` aside): JSON's own. */
const ESCAPES = '"\\/bfnrt';

/**
 * The token stream of Go's `json.Decoder` (`encoding/json/stream.go`):
 * commas and colons are checked and elided, delimiters are returned, scalars
 * are read whole with the scanner's error messages. The state machine and
 * every message match Go's, including the quirk that an unexpected byte
 * right after `{` is reported with no context (`invalid character '1'`).
 */
class TokenReader {
  readonly #b: Uint8Array;
  /** The byte offset where the last token returned starts. */
  offset = 0;
  #pos = 0;
  #state = TokenState.TopValue;
  readonly #stack: TokenState[] = [];

  constructor(b: Uint8Array) {
    this.#b = b;
  }

  /** Go `Decoder.Token`: the next token, or {@link EOF}. Throws {@link GoError}. */
  next(): Token | typeof EOF {
    const b = this.#b;
    for (;;) {
      while (this.#pos < b.length && isSpace(b[this.#pos]!)) this.#pos++;
      if (this.#pos >= b.length) return EOF;
      this.offset = this.#pos;
      const c = b[this.#pos]!;
      const state = this.#state;
      switch (c) {
        case 0x5b: // [
        case 0x7b: // {
          if (!valueAllowed(state)) throw this.#tokenError();
          this.#pos++;
          this.#stack.push(state);
          this.#state = c === 0x5b ? TokenState.ArrayStart : TokenState.ObjectStart;
          return String.fromCharCode(c);
        case 0x5d: // ]
        case 0x7d: // }
          if (
            c === 0x5d
              ? state !== TokenState.ArrayStart && state !== TokenState.ArrayComma
              : state !== TokenState.ObjectStart && state !== TokenState.ObjectComma
          ) {
            throw this.#tokenError();
          }
          this.#pos++;
          this.#state = this.#stack.pop()!;
          this.#valueEnd();
          return String.fromCharCode(c);
        case 0x3a: // :
          if (state !== TokenState.ObjectColon) throw this.#tokenError();
          this.#pos++;
          this.#state = TokenState.ObjectValue;
          continue;
        case 0x2c: // ,
          if (state !== TokenState.ArrayComma && state !== TokenState.ObjectComma) throw this.#tokenError();
          this.#pos++;
          this.#state = state === TokenState.ArrayComma ? TokenState.ArrayValue : TokenState.ObjectKey;
          continue;
      }
      if (c === 0x22 && (state === TokenState.ObjectStart || state === TokenState.ObjectKey)) {
        const value = this.#readString();
        this.#state = TokenState.ObjectColon;
        return { value };
      }
      // A scalar value, where Go's `Token` falls to `Decode(&any)`.
      if (!valueAllowed(state)) throw this.#tokenError();
      const token = this.#readScalar();
      this.#valueEnd();
      return token;
    }
  }

  #valueEnd(): void {
    const s = this.#state;
    if (s === TokenState.ArrayStart || s === TokenState.ArrayValue) this.#state = TokenState.ArrayComma;
    else if (s === TokenState.ObjectValue) this.#state = TokenState.ObjectComma;
  }

  /** The byte at the current position is not allowed in this state. */
  #tokenError(): GoError {
    return this.#invalid(this.#pos, TOKEN_ERROR_CONTEXT[this.#state]!);
  }

  /** Go's `invalid character 'x' <context>` for the byte at `at`. */
  #invalid(at: number, context: string): GoError {
    return new GoError('invalid character ' + quoteChar(this.#b[at]!) + (context && ' ' + context), at);
  }

  /** Go's `readValue` hitting the end of input inside a value. */
  #unexpectedEOF(): GoError {
    return new GoError('unexpected EOF', this.#b.length);
  }

  /** One scalar value (Go `Decoder.Decode(&any)` with `UseNumber`). */
  #readScalar(): ScalarToken {
    const b = this.#b;
    const offset = this.#pos;
    const c = b[offset]!;
    if (c === 0x22) return { value: this.#readString() };
    if (c === 0x2d || isDigit(c)) return { number: this.#readNumber() };
    const literal = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : undefined;
    if (literal === undefined) throw this.#invalid(offset, BEGINNING_OF_VALUE);
    for (let k = 1; k < literal.length; k++) {
      const i = offset + k;
      if (i >= b.length) throw this.#unexpectedEOF();
      if (b[i] !== literal.charCodeAt(k)) throw this.#invalid(i, `in literal ${literal} (expecting '${literal[k]!}')`);
    }
    this.#pos = offset + literal.length;
    return { value: literal === 'null' ? null : literal === 'true' };
  }

  /** A number literal, by the states of Go's scanner (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`). */
  #readNumber(): string {
    const b = this.#b;
    const start = this.#pos;
    let i = start;
    /** A digit is required at `i`; the digits after it are skipped. */
    const digits = (context: string): void => {
      if (i >= b.length) throw this.#unexpectedEOF();
      if (!isDigit(b[i]!)) throw this.#invalid(i, context);
      while (i < b.length && isDigit(b[i]!)) i++;
    };
    if (b[i] === 0x2d) i++;
    // A leading 0 ends the integer part (`01` is `0`, then a `1` after the value).
    if (b[i] === 0x30) i++;
    else digits('in numeric literal');
    if (b[i] === 0x2e) {
      i++;
      digits('after decimal point in numeric literal');
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      digits('in exponent of numeric literal');
    }
    this.#pos = i;
    let text = '';
    for (let k = start; k < i; k++) text += String.fromCharCode(b[k]!);
    return text;
  }

  /** A string literal: scanned with Go's scanner errors, unquoted with Go's `unquoteBytes`. */
  #readString(): string {
    const b = this.#b;
    const start = this.#pos + 1;
    let i = start;
    let simple = true;
    for (;;) {
      if (i >= b.length) throw this.#unexpectedEOF();
      const c = b[i]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        simple = false;
        if (++i >= b.length) throw this.#unexpectedEOF();
        const e = b[i]!;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            if (++i >= b.length) throw this.#unexpectedEOF();
            if (!isHex(b[i]!)) throw this.#invalid(i, 'in \\u hexadecimal character escape');
          }
        } else if (!ESCAPES.includes(String.fromCharCode(e))) {
          throw this.#invalid(i, 'in string escape code');
        }
      } else if (c < 0x20) {
        throw this.#invalid(i, 'in string literal');
      }
      i++;
    }
    this.#pos = i + 1;
    const raw = b.subarray(start, i);
    return simple ? decodeGoString(raw) : unquote(raw);
  }
}

/**
 * Go `unquoteBytes` on the (already scanned, so well-formed) inside of a
 * string literal with escapes. The escapes are JSON's, so `JSON.parse` reads
 * them; the differences are Go's: invalid UTF-8 bytes are U+FFFD (decoded
 * first: escapes are ASCII), and so is a `\u` surrogate escape that is not
 * half of a pair (a lone surrogate, which `u` lets the pattern match alone).
 */
function unquote(b: Uint8Array): string {
  return (JSON.parse('"' + decodeGoString(b) + '"') as string).replace(/[\ud800-\udfff]/gu, '\ufffd');
}

// ---------------------------------------------------------------------------
// sops's tree walk (treeBranchFromJSON & co)
// ---------------------------------------------------------------------------

/** sops `normalizeJSONNumber`: int64 when `strconv.ParseInt` accepts the literal, else float64. */
function numberValue(text: string): bigint | number | undefined {
  const n = parseGoInt(text);
  if (n !== undefined) return n;
  const x = Number(text);
  // Go strconv.ParseFloat: correctly rounded like Number(); overflow to ±Inf is ErrRange.
  return Number.isFinite(x) ? x : undefined;
}

class TreeBuilder {
  readonly #tokens: TokenReader;
  readonly #maxDepth: number;
  #depth = 0;

  constructor(tokens: TokenReader, maxDepth: number) {
    this.#tokens = tokens;
    this.#maxDepth = maxDepth;
  }

  /** One level deeper, just after its opening delimiter. */
  #enter(): void {
    if (++this.#depth > this.#maxDepth) {
      throw new GoError(`JSON nesting depth exceeds the limit of ${this.#maxDepth}`, this.#tokens.offset, 'ERR_LIMIT');
    }
  }

  /** A value from its first token, just read (a delimiter here is `[` or `{`: Go's states refuse the others). */
  #value(t: Token): Value {
    if (typeof t === 'string') return t === '[' ? this.#slice() : this.branch();
    if ('value' in t) return t.value;
    const v = numberValue(t.number);
    // Go: `strconv.ParseFloat: parsing "<literal>": value out of range`; the literal is left out.
    if (v === undefined) throw new GoError('strconv.ParseFloat: parsing a number: value out of range', this.#tokens.offset);
    return v;
  }

  /** sops `sliceFromJSONDecoder`: `EOF` propagates (thrown). */
  #slice(): Value[] {
    this.#enter();
    const out: Value[] = [];
    for (;;) {
      const t = this.#tokens.next();
      if (t === EOF) throw EOF;
      if (t === ']') break;
      out.push(this.#value(t));
    }
    this.#depth--;
    return out;
  }

  /** sops `treeBranchFromJSONDecoder`, just after `{`: an `EOF` from an item ends the object without error. */
  branch(): Branch {
    this.#enter();
    const items: TreeItem[] = [];
    try {
      for (let item; (item = this.#item()) !== undefined; ) items.push(item);
    } catch (e) {
      if (e !== EOF) throw e;
    }
    this.#depth--;
    return new Branch(items);
  }

  /** sops `treeItemFromJSONDecoder`: `undefined` at `}`. */
  #item(): TreeItem | undefined {
    const k = this.#tokens.next();
    // Go ignores io.EOF here and then fails on the nil key.
    if (k === EOF) throw new GoError('Expected JSON object key, got %!s(<nil>) of type <nil> instead');
    // Go's token states allow only a string or `}` here (anything else is a syntax error first).
    if (typeof k === 'string') return undefined;
    const v = this.#tokens.next();
    if (v === EOF) throw EOF;
    return { key: (k as { value: string }).value, value: this.#value(v) };
  }
}

/** Go `%T` / `%#v` for a top-level non-object token in sops's error message. */
function topLevelDescription(t: ScalarToken): string {
  if ('number' in t) {
    const v = numberValue(t.number);
    return `a value of type ${v === undefined ? 'json.Number' : typeof v === 'bigint' ? 'int' : 'float64'}`;
  }
  // Go prints the value itself (`Got "x" of type string`); it may be a secret, so only its type is given.
  if (typeof t.value === 'string') return 'a value of type string';
  return t.value === null ? '<nil> of type <nil>' : `${t.value} of type bool`;
}

/** sops `treeBranchFromJSON`, errors wrapped as `LoadPlainFile` wraps them. */
function parseJson(data: string | Uint8Array, maxDepth: number): Branch {
  let bytes: Uint8Array;
  if (typeof data === 'string') bytes = utf8(data);
  else if (data instanceof Uint8Array) bytes = data;
  else throw new TypeError('data must be a string or a Uint8Array');
  const tokens = new TokenReader(bytes);
  const fail = (message: string, offset: number, code: 'ERR_PARSE' | 'ERR_LIMIT' = 'ERR_PARSE'): never => {
    throw new SopsError(code, 'Could not unmarshal input data: ' + message, {
      position: positionOf(bytes, offset < 0 ? bytes.length : offset),
    });
  };
  const topLevel = "SOPS only supports JSON files with a top-level object (starting with '{'), not ";
  try {
    const first = tokens.next();
    if (first === EOF) return fail('EOF', -1);
    if (typeof first !== 'string') {
      return fail(`${topLevel}other JSON types. Got ${topLevelDescription(first)} instead`, tokens.offset);
    }
    if (first !== '{') {
      return fail(
        `${topLevel}arrays or other types. Got delimiter ${first} instead. To encrypt this file, wrap it in an object, e.g., {"data": [...]}`,
        tokens.offset,
      );
    }
    return new TreeBuilder(tokens, maxDepth).branch();
  } catch (e) {
    if (e instanceof GoError) return fail(e.message, e.offset, e.code);
    if (e instanceof RangeError) return fail('input nested too deeply', -1, 'ERR_LIMIT');
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Emission: json.Marshal escaping + json.Indent layout
// ---------------------------------------------------------------------------

/** Go `json.Marshal` of a string; a lone surrogate (invalid UTF-8) as the escape `\ufffd`. */
function quoteString(s: string): string {
  return goJsonQuote(s, '\\ufffd');
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
  for (let top; (top = stack.pop()); ) {
    const [v, depth] = top;
    let children: Value[];
    if (v instanceof Branch) children = v.items.filter((it) => !(it.key instanceof Comment)).map((it) => it.value);
    else if (Array.isArray(v)) children = v.filter((it) => !(it instanceof Comment));
    else if (v instanceof Comment) children = [];
    else continue;
    if (depth >= GO_MAX_NESTING_DEPTH) return Array.isArray(v) ? '[' : '{';
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i]!, depth + 1]);
  }
  return undefined;
}

/**
 * sops `encodeValue`, laid out as `json.Indent` lays out the compact text:
 * `nl` is the line break and indentation of the value's own level, `unit`
 * one level of indentation.
 */
function encodeValue(v: Value, nl: string, unit: string): string {
  if (v instanceof Branch) return encodeItems(v.items, nl, unit);
  if (Array.isArray(v)) {
    // sops `encodeArray`: comments skipped, errors not wrapped.
    const inner = nl + unit;
    let out = '';
    for (const item of v) {
      if (!(item instanceof Comment)) out += (out === '' ? '' : ',') + inner + encodeValue(item, inner, unit);
    }
    return out === '' ? '[]' : '[' + out + nl + ']';
  }
  if (typeof v === 'string') return quoteString(v);
  // A Go string holding raw bytes: each invalid UTF-8 byte is written `\ufffd` (a lone surrogate here).
  if (v instanceof Uint8Array) return quoteString(decodeGoString(v, '\udfff'));
  if (typeof v === 'number') {
    // Go json.Marshal: `json: unsupported value: NaN` (+Inf, -Inf).
    if (!Number.isFinite(v)) throw new GoError('json: unsupported value: ' + formatFloatG(v));
    return formatFloatJSON(v);
  }
  // int64, bool and nil: `5`, `true`, `null`.
  if (typeof v === 'bigint' || typeof v === 'boolean' || v === null) return String(v);
  if (v instanceof SopsTime) {
    // Go time.Time.MarshalJSON: RFC 3339 with nanoseconds; years outside 0..9999 are an error.
    if (!/^\d{4}-/.test(v.rfc3339Nano)) throw new GoError('Time.MarshalJSON: year outside of range [0,9999]');
    return quoteString(v.rfc3339Nano);
  }
  if (v instanceof Comment) {
    // Go json.Marshal of the sops.Comment struct (a comment that is a map value, not an item).
    return encodeItems(
      [
        { key: 'Value', value: v.value },
        { key: 'Inline', value: v.inline },
      ],
      nl,
      unit,
    );
  }
  throw new GoError('json: unsupported type');
}

/** sops `encodeTree`: comment keys skipped; the value is encoded before the key, and its error wrapped. */
function encodeItems(items: TreeItem[], nl: string, unit: string): string {
  const inner = nl + unit;
  let out = '';
  for (const { key, value } of items) {
    if (key instanceof Comment) continue;
    let v: string;
    try {
      v = encodeValue(value, inner, unit);
    } catch (e) {
      if (e instanceof GoError) throw new GoError('Error encoding value : ' + e.message);
      throw e;
    }
    if (typeof key !== 'string') {
      // Go panics (`item.Key.(string)`); sops's own wording for such trees (sops.go) is used instead.
      throw new GoError(`Tree contains a non-string key (type ${goTypeName(key)}). Only string keys are supported`);
    }
    out += (out === '' ? '' : ',') + inner + quoteString(key) + ': ' + v;
  }
  return out === '' ? '{}' : '{' + out + nl + '}';
}

/** The message of sops's `EmitPlainFile` when there is no branch. */
const NO_BRANCH = 'Error marshaling to json: there is no tree branch to emit';

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
    const indent = options.indent === undefined ? -1 : options.indent;
    if (!Number.isSafeInteger(indent)) throw new RangeError('indent must be an integer');
    const maxDepth = options.maxDepth === undefined ? DEFAULT_JSON_MAX_DEPTH : options.maxDepth;
    if (!(Number.isSafeInteger(maxDepth) && maxDepth >= 1)) throw new RangeError('maxDepth must be a positive integer');
    this.indent = indent;
    this.maxDepth = maxDepth;
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
    if (first === undefined) throw new SopsError('ERR_EMIT', NO_BRANCH);
    return this.#emit('Error marshaling to json: ', first) + '\n';
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
    // sops exits 1 for these (observed with `sops decrypt`), not 2.
    const exitCode = ExitCode.ErrorGeneric;
    for (const item of branch.items) {
      if (item.key !== 'sops') {
        kept.push(item);
        continue;
      }
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
    if (branches.some((branch) => branch.items.some((it) => it.key === 'sops'))) {
      throw new SopsError(
        'ERR_EMIT',
        'Error marshaling metadata: Found key "sops" in encrypted data, which is a reserved key used for SOPS metadata',
      );
    }
    const first = branches[0];
    if (first === undefined) throw new SopsError('ERR_EMIT', NO_BRANCH);
    return this.emitPlainFile([new Branch([...first.items, { key: 'sops', value: metadata }])]);
  }

  /**
   * Emit one value as `sops decrypt --extract` does (sops `EmitValue`): the
   * value in the store's indentation, with no trailing newline (`5`,
   * `"x"`, `[\n\t"a"\n]`).
   */
  emitValue(value: Value): string {
    return this.#emit('', value);
  }

  #emit(prefix: string, value: Value): string {
    const indent = this.indent;
    try {
      // Go json.Indent (run after encoding): `invalid character '[' exceeded max depth` past
      // 10000 levels. Checked first here; Go would report an encoding error (NaN) first.
      const tooDeep = firstTooDeep(value);
      // sops reindentJSON: -1 → tab, N ≥ 0 → N spaces, < -1 → an error, which comes after
      // encoding errors (Go encodes first and re-indents after) and before the depth limit.
      const unit = indent === -1 ? '\t' : ' '.repeat(Math.max(indent, 0));
      const out = tooDeep === undefined ? encodeValue(value, '\n', unit) : undefined;
      if (indent < -1) throw new GoError('JSON Indentation parameter smaller than -1 is not accepted');
      if (out === undefined) throw new GoError(`invalid character '${tooDeep}' exceeded max depth`);
      return out;
    } catch (e) {
      if (e instanceof GoError) throw new SopsError('ERR_EMIT', prefix + e.message);
      if (e instanceof RangeError) throw new SopsError('ERR_LIMIT', prefix + 'tree nested too deeply', { cause: e });
      throw e;
    }
  }
}
