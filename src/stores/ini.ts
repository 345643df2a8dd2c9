/**
 * The INI store: parses and emits INI byte-for-byte as Go sops 3.13.3
 * (`stores/ini/store.go`) does with `gopkg.in/ini.v1` v1.67.3.
 *
 * Parsing follows go-ini's `LoadSources({AllowNonUniqueSections: true})`
 * line by line, quirks included:
 *
 * - a UTF-8 BOM (`EF BB BF`) or a UTF-16 BOM pair (`FE FF`, `FF FE`) at the
 *   start is dropped; lines end at `\n` and are left-trimmed (Go
 *   `unicode.IsSpace`), so a `\r` before `\n` only survives inside comments
 *   and multi-line values;
 * - lines starting with `#` or `;` are comments; consecutive comment lines
 *   are joined (blank lines between them are skipped) and belong to the next
 *   key or section header;
 * - `[name]` opens a section: the name runs to the *last* `]` and is not
 *   trimmed; text after it from the first `#`/`;` is part of the section's
 *   comment; a repeated name opens a separate section;
 * - a key runs to the first `=` or `:` (or is quoted with `"`, `"""` or
 *   `` ` ``); `-` as a key name becomes `#1`, `#2`, … (go-ini auto-increment);
 * - an unquoted value is trimmed, cut at the first `#` or `;` (the rest is
 *   the key's comment: `k = a#b` gives `a`), then loses one pair of
 *   surrounding `"…"` or `'…'`; a value ending in `\` continues on the next
 *   lines, taken verbatim (no comment cut, no unquoting);
 * - `` `…` `` and `"""…"""` values are raw, run to the *last* closing quote
 *   of the line, and may span lines (keeping their line breaks, `\r` too);
 * - a repeated key in a section keeps its first position and takes the last
 *   value and comment;
 * - keys before the first header go into the `DEFAULT` section, which always
 *   comes first in the tree, even when empty.
 *
 * Tree: one branch whose items are the sections; each section is a
 * {@link Branch} holding an optional first {@link Comment} (the section's
 * comment), then its keys, each followed by its comment if it has one.
 * Every value is a string. Comment text loses its leading run of markers and
 * spaces (sops `stripCommentChar`: `"; ; x"` → `"x"`), lines after the first
 * are kept verbatim, and comments after the last key of the file are lost.
 *
 * Emission mirrors sops's `encodeTree` + go-ini `WriteTo` with
 * `PrettyFormat`, `PrettySection` and `"\n"` line breaks: `=` aligned per
 * section (by UTF-8 byte length of the written key), a blank line between
 * sections, a leading `DEFAULT` section written without header (nothing at
 * all when empty), comments as `; text` lines above their section or key
 * (only the last comment after a key survives), values quoted when go-ini
 * needs to (`"""` for line breaks or backticks, `` ` `` for `#`/`;`, `"`
 * for surrounding spaces) and keys quoted likewise.
 *
 * Known difference: input that is not valid UTF-8 is decoded with U+FFFD
 * replacements, whereas Go keeps the raw bytes.
 *
 * @example
 * ```ts
 * import { IniStore } from 'sops-ts/stores/ini';
 * const store = new IniStore();
 * const branches = store.loadPlainFile('[db]\nuser = admin ; owner\n');
 * store.emitPlainFile(branches); // '[db]\n; owner\nuser = admin\n'
 * ```
 *
 * @module
 */
import { ExitCode, SopsError } from '../errors.js';
import { formatFloatG, formatFloatJSON, goJsonQuote } from '../gofmt.js';
import { Branch, Comment, SopsTime, type Key, type TreeBranches, type TreeItem, type Value } from '../tree.js';
import { flattenMetadata, unflattenMetadata, valToString } from './flatten.js';
import type { EncryptedFileParts, Format, Store, StoreOptions } from './store.js';

/** Options of {@link IniStore}: none beyond the common ones (INI has no indentation setting). */
export type IniStoreOptions = StoreOptions;

const SOPS_SECTION = 'sops';
/** go-ini `DefaultSection`. */
const DEFAULT_SECTION = 'DEFAULT';
/** Prefix of every parse error, as sops `LoadPlainFile` words it. */
const UNMARSHAL = 'Could not unmarshal input data: ';
/** Prefix of every emission error, as sops `EmitPlainFile` words it. */
const MARSHAL = 'Error marshaling to INI: ';

// ---------------------------------------------------------------------------
// Go string helpers
// ---------------------------------------------------------------------------

/** Go `unicode.IsSpace`. */
function isSpace(c: number): boolean {
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Go `strings.TrimLeftFunc(s, unicode.IsSpace)` (every Go space is one UTF-16 unit). */
function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return s.slice(i);
}

/** Go `strings.TrimSpace` (not JS `trim`, which also strips U+FEFF and keeps U+0085). */
function trimSpace(s: string): string {
  let j = s.length;
  while (j > 0 && isSpace(s.charCodeAt(j - 1))) j--;
  return trimLeftSpace(s.slice(0, j));
}

/** Go `len(s)`: the UTF-8 byte length (a lone surrogate counts as U+FFFD, 3 bytes). */
function byteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Go `strings.IndexAny(s, "#;")`. */
function indexOfCommentChar(s: string): number {
  const a = s.indexOf('#');
  const b = s.indexOf(';');
  return a < 0 ? b : b < 0 ? a : Math.min(a, b);
}

/** go-ini `cleanComment`: the text from the first `#` or `;`, if any. */
function cleanComment(s: string): string | undefined {
  const i = indexOfCommentChar(s);
  return i < 0 ? undefined : s.slice(i);
}

/** go-ini `hasSurroundedQuote`: `q` first, last, and nowhere else. */
function hasSurroundedQuote(s: string, q: string): boolean {
  return s.length >= 2 && s[0] === q && s[s.length - 1] === q && s.indexOf(q, 1) === s.length - 1;
}

/** sops `stripCommentChar`: drop the leading run of markers and spaces. */
function stripCommentChar(comment: string): string {
  const marker = comment[0];
  if (marker !== ';' && marker !== '#') return comment;
  let i = 0;
  while (i < comment.length && (comment[i] === marker || comment[i] === ' ')) i++;
  return comment.slice(i);
}

// ---------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The text go-ini parses: input bytes minus a leading BOM (`parser.BOM`:
 * `FE FF` or `FF FE`, 2 bytes; `EF BB BF`, 3 bytes), decoded as UTF-8.
 */
function inputText(data: string | Uint8Array): string {
  let b: Uint8Array;
  if (typeof data === 'string') b = utf8Encoder.encode(data);
  else if (data instanceof Uint8Array) b = data;
  else throw new TypeError('data must be a string or a Uint8Array');
  const bom = (b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0xff && b[1] === 0xfe) ? 2 : b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  return utf8Decoder.decode(b.subarray(bom));
}

// ---------------------------------------------------------------------------
// go-ini parser
// ---------------------------------------------------------------------------

interface IniKey {
  name: string;
  value: string;
  comment: string;
}

interface IniSection {
  name: string;
  comment: string;
  keys: IniKey[];
  byName: Map<string, IniKey>;
}

function newSection(name: string): IniSection {
  return { name, comment: '', keys: [], byName: new Map() };
}

/** go-ini `Section.NewKey` without shadows: a repeated name updates the first key in place. */
function newKey(section: IniSection, name: string, value: string): IniKey {
  const existing = section.byName.get(name);
  if (existing !== undefined) {
    existing.value = value;
    return existing;
  }
  const key: IniKey = { name, value, comment: '' };
  section.keys.push(key);
  section.byName.set(name, key);
  return key;
}

/** go-ini's parser (`parser.go`) with sops's options. Messages never quote the file. */
class Parser {
  readonly #text: string;
  #pos = 0;
  /** Number of lines read so far (1-based number of the current line). */
  #lineNo = 0;
  #isEOF = false;
  /** The pending comment (go-ini `p.comment`). */
  #comment = '';

  constructor(text: string) {
    this.#text = text;
  }

  #error(message: string, line: number): SopsError {
    return new SopsError('ERR_PARSE', UNMARSHAL + message, { position: { line, column: 1 } });
  }

  /** bufio `ReadBytes('\n')`: the next line with its `\n`; at the end, the rest (maybe empty) and EOF. */
  #readLine(): string {
    const i = this.#text.indexOf('\n', this.#pos);
    let line: string;
    if (i < 0) {
      line = this.#text.slice(this.#pos);
      this.#pos = this.#text.length;
      this.#isEOF = true;
    } else {
      line = this.#text.slice(this.#pos, i + 1);
      this.#pos = i + 1;
    }
    if (line !== '') this.#lineNo++;
    return line;
  }

  parse(): IniSection[] {
    let section = newSection(DEFAULT_SECTION);
    const sections = [section];
    let count = 1;
    while (!this.#isEOF) {
      const line = trimLeftSpace(this.#readLine());
      const lineNo = this.#lineNo;
      if (line === '') continue;
      if (line[0] === '#' || line[0] === ';') {
        this.#comment += line;
        continue;
      }
      if (line[0] === '[') {
        const close = line.lastIndexOf(']');
        if (close < 0) throw this.#error(`unclosed section at line ${lineNo}`, lineNo);
        const name = line.slice(1, close);
        if (name === '') throw this.#error('empty section name', lineNo);
        section = newSection(name);
        sections.push(section);
        const c = cleanComment(line.slice(close + 1));
        if (c !== undefined) this.#comment += c;
        section.comment = trimSpace(this.#comment);
        this.#comment = '';
        count = 1;
        continue;
      }
      let [name, offset] = this.#readKeyName(line, lineNo);
      if (name === '-') name = '#' + String(count++);
      const value = this.#readValue(line.slice(offset), lineNo);
      if (name === '') throw this.#error('error creating new key: empty key name', lineNo);
      const key = newKey(section, name, value);
      key.comment = trimSpace(this.#comment);
      this.#comment = '';
    }
    return sections;
  }

  /** go-ini `readKeyName`: the key and the offset just past its `=` or `:`. */
  #readKeyName(line: string, lineNo: number): [string, number] {
    let quote = '';
    if (line[0] === '"') quote = line.startsWith('"""') && byteLength(line) > 6 ? '"""' : '"';
    else if (line[0] === '`') quote = '`';
    if (quote !== '') {
      const close = line.indexOf(quote, quote.length);
      if (close < 0) throw this.#error(`missing closing key quote at line ${lineNo}`, lineNo);
      const rest = line.slice(close + quote.length);
      const i = indexOfDelimiter(rest);
      if (i < 0) throw this.#error(`key-value delimiter not found at line ${lineNo}`, lineNo);
      return [trimSpace(line.slice(quote.length, close)), close + quote.length + i + 1];
    }
    const end = indexOfDelimiter(line);
    if (end < 0) throw this.#error(`key-value delimiter not found at line ${lineNo}`, lineNo);
    if (end === 0) throw this.#error(`empty key name at line ${lineNo}`, lineNo);
    return [trimSpace(line.slice(0, end)), end + 1];
  }

  /** go-ini `readValue` (no Python multi-line values, no `\"` unescaping). */
  #readValue(input: string, lineNo: number): string {
    let line = trimLeftSpace(input);
    if (line === '') return '';
    const quote = line.length > 3 && line.startsWith('"""') ? '"""' : line[0] === '`' ? '`' : '';
    if (quote !== '') {
      const rest = line.slice(quote.length);
      const close = rest.lastIndexOf(quote);
      if (close < 0) return this.#readMultilines(rest, quote, lineNo);
      return rest.slice(0, close);
    }
    line = trimSpace(line);
    if (line.endsWith('\\')) return this.#readContinuationLines(line.slice(0, -1));
    const i = indexOfCommentChar(line);
    if (i > -1) {
      this.#comment += line.slice(i);
      line = trimSpace(line.slice(0, i));
    }
    if (hasSurroundedQuote(line, "'") || hasSurroundedQuote(line, '"')) line = line.slice(1, -1);
    return line;
  }

  /** go-ini `readMultilines`: up to the line holding the last closing quote. */
  #readMultilines(value: string, quote: string, lineNo: number): string {
    for (;;) {
      const next = this.#readLine();
      const close = next.lastIndexOf(quote);
      if (close > -1) {
        // A `\` after the closing quote continues the value, quote included.
        const after = next.slice(close + quote.length).replace(/[\r\n]+$/, '');
        if (trimSpace(after).endsWith('\\')) {
          value += next;
          continue;
        }
        value += next.slice(0, close);
        const c = cleanComment(next.slice(close));
        if (c !== undefined) this.#comment += trimSpace(c);
        return value;
      }
      value += next;
      if (this.#isEOF) throw this.#error(`missing closing key quote for the value starting at line ${lineNo}`, lineNo);
    }
  }

  /** go-ini `readContinuationLines`: trimmed lines appended verbatim while the value ends in `\`. */
  #readContinuationLines(value: string): string {
    for (;;) {
      const next = trimSpace(this.#readLine());
      if (next === '') return value;
      value += next;
      if (!value.endsWith('\\')) return value;
      value = value.slice(0, -1);
    }
  }
}

/** Go `strings.IndexAny(s, "=:")` (go-ini's default `KeyValueDelimiters`). */
function indexOfDelimiter(s: string): number {
  const a = s.indexOf('=');
  const b = s.indexOf(':');
  return a < 0 ? b : b < 0 ? a : Math.min(a, b);
}

/** sops `treeItemFromSection` for every section. */
function treeFromSections(sections: IniSection[]): Branch {
  return new Branch(
    sections.map((section): TreeItem => {
      const items: TreeItem[] = [];
      if (section.comment !== '') items.push({ key: new Comment(stripCommentChar(section.comment)), value: null });
      for (const key of section.keys) {
        items.push({ key: key.name, value: key.value });
        if (key.comment !== '') items.push({ key: new Comment(stripCommentChar(key.comment)), value: null });
      }
      return { key: section.name, value: new Branch(items) };
    }),
  );
}

// ---------------------------------------------------------------------------
// Emission
// ---------------------------------------------------------------------------

/** Go's `%T` of a non-string key, for messages. */
function goTypeName(k: Key): string {
  if (typeof k === 'bigint') return 'int';
  if (typeof k === 'number') return 'float64';
  if (typeof k === 'boolean') return 'bool';
  if (k === null) return 'nil';
  if (k instanceof SopsTime) return 'time.Time';
  return typeof k;
}

/** Go `time.Time.String()` at second precision or better (`2024-01-02 03:04:05 +0000 UTC`). */
function goTimeString(t: SopsTime): string {
  const m = /^(\d{4,}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?(Z|([+-])(\d\d):(\d\d))$/.exec(t.rfc3339Nano);
  if (!m) return t.rfc3339Nano;
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[5]}${m[6]}${m[7]} ${m[5]}${m[6]}${m[7]}`;
  return `${m[1]} ${m[2]}${m[3] ?? ''} ${zone}`;
}

/**
 * Go `fmt.Sprintf("%v", v)` of a value nested in a list or map: how sops's
 * `ValToString` writes a map or list given to a flat format
 * (`[1 x [{y 2}]]`: lists and maps in brackets, map items as `{key value}`).
 */
function goSprintV(v: Value | Key): string {
  if (v instanceof Branch) return '[' + v.items.map((it) => `{${goSprintV(it.key)} ${goSprintV(it.value)}}`).join(' ') + ']';
  if (Array.isArray(v)) return '[' + v.map(goSprintV).join(' ') + ']';
  if (typeof v === 'number') return formatFloatG(v);
  if (v instanceof Uint8Array) return utf8Decoder.decode(v);
  if (v instanceof SopsTime) return goTimeString(v);
  // Strings, ints, bools, nil and comments (`{text false}`) as ValToString writes them.
  return valToString(v);
}

/** sops `stores.ValToString`, with Go's `%v` for maps and lists. */
function iniValue(v: Value): string {
  if (v instanceof Branch || Array.isArray(v)) return goSprintV(v);
  return valToString(v);
}

/** Emission failure: wrapped with sops's `Error marshaling to INI: ` prefix. */
function emitError(message: string): SopsError {
  return new SopsError('ERR_EMIT', MARSHAL + message);
}

/**
 * go-ini's comment lines: a line starting with `#` or `;` keeps its marker
 * and one space, any other gets `; ` (and, above a key, is trimmed). go-ini
 * writes `lines[i][0]` of every line: an empty line makes Go sops panic.
 */
function commentLines(comment: string, where: string, trim: boolean): string {
  let out = '';
  for (const line of comment.split('\n')) {
    if (line === '') throw emitError(`${where} has an empty comment line (Go sops panics: index out of range)`);
    out += (line[0] === '#' || line[0] === ';' ? line[0] + ' ' + trimSpace(line.slice(1)) : '; ' + (trim ? trimSpace(line) : line)) + '\n';
  }
  return out;
}

/** Written form of a key (go-ini `writeToBuffer`). */
function quoteKey(name: string): string {
  if (name.includes('"') || name.includes('=') || name.includes(':')) return '`' + name + '`';
  if (name.includes('`')) return '"""' + name + '"""';
  return name;
}

/** Written form of a value (go-ini `writeToBuffer`). */
function quoteValue(value: string): string {
  if (value.includes('\n') || value.includes('`')) return '"""' + value + '"""';
  if (value.includes('#') || value.includes(';')) return '`' + value + '`';
  if (trimSpace(value).length !== value.length) return '"' + value + '"';
  return value;
}

/** sops `encodeTree` into go-ini's model: one section per top-level map, in order. */
function sectionsFromTree(branches: TreeBranches): IniSection[] {
  const sections: IniSection[] = [];
  for (const branch of branches) {
    for (const item of branch.items) {
      if (item.key instanceof Comment) continue;
      if (typeof item.key !== 'string') {
        // Go panics (`item.Key.(string)`).
        throw emitError(`Tree contains a non-string key (type ${goTypeName(item.key)}). Only string keys are supported`);
      }
      if (item.key === '') throw emitError('Error encoding section : empty section name');
      const section = newSection(item.key);
      sections.push(section);
      if (!(item.value instanceof Branch)) throw emitError('Error encoding section: Section values should always be TreeBranches');
      const items = item.value.items;
      let first = 0;
      if (items.length > 0 && items[0]!.key instanceof Comment) {
        section.comment = items[0]!.key.value;
        first = 1;
      }
      let last: IniKey | undefined;
      for (let i = first; i < items.length; i++) {
        const { key, value } = items[i]!;
        if (key instanceof Comment) {
          if (last !== undefined) last.comment = key.value;
          continue;
        }
        if (typeof key !== 'string') {
          throw emitError(`Tree contains a non-string key (type ${goTypeName(key)}) in section ${JSON.stringify(item.key)}. Only string keys are supported`);
        }
        if (key === '') throw emitError('Error encoding key: error creating new key: empty key name');
        last = newKey(section, key, iniValue(value));
      }
    }
  }
  return sections;
}

/** go-ini `File.writeToBuffer` with `PrettyFormat`, `PrettySection`, `LineBreak = "\n"`. */
function writeSections(sections: IniSection[]): string {
  let out = '';
  sections.forEach((section, i) => {
    if (section.comment !== '') out += commentLines(section.comment, `The comment of section ${JSON.stringify(section.name)}`, false);
    // Only a first section named DEFAULT (any case) goes without a header.
    if (i > 0 || section.name.length !== DEFAULT_SECTION.length || section.name.toUpperCase() !== DEFAULT_SECTION) {
      out += '[' + section.name + ']\n';
    } else if (section.keys.length === 0) {
      return;
    }
    let align = 0;
    for (const key of section.keys) {
      align = Math.max(align, byteLength(quoteKey(key.name)));
    }
    for (const key of section.keys) {
      if (key.comment !== '') out += commentLines(key.comment, `The comment of key ${JSON.stringify(key.name)}`, true);
      const name = quoteKey(key.name);
      out += name + ' '.repeat(align - byteLength(name)) + ' = ' + quoteValue(key.value) + '\n';
    }
    if (i < sections.length - 1) out += '\n';
  });
  return out;
}

// ---------------------------------------------------------------------------
// json.Marshal for emitValue
// ---------------------------------------------------------------------------

/** Go `json.Marshal` of a string; a lone surrogate reaches Go as U+FFFD, written raw. */
function jsonString(s: string): string {
  return goJsonQuote(s, '\ufffd');
}

/** Go `json.Marshal(v)` of a tree value as sops holds it (a map is a `TreeBranch`: a list of `{Key, Value}`). */
function goJsonMarshal(v: Value | Key): string {
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new SopsError('ERR_EMIT', 'json: unsupported value: ' + formatFloatG(v));
    return formatFloatJSON(v);
  }
  if (typeof v === 'boolean' || v === null) return String(v);
  if (v instanceof SopsTime) return jsonString(v.rfc3339Nano);
  if (v instanceof Uint8Array) return jsonString(utf8Decoder.decode(v));
  if (v instanceof Comment) return `{"Value":${jsonString(v.value)},"Inline":${v.inline}}`;
  if (v instanceof Branch) return '[' + v.items.map((it) => `{"Key":${goJsonMarshal(it.key)},"Value":${goJsonMarshal(it.value)}}`).join(',') + ']';
  return '[' + v.map(goJsonMarshal).join(',') + ']';
}

// ---------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------

/**
 * The INI store (sops `stores/ini`).
 *
 * @example
 * ```ts
 * const store = new IniStore();
 * const [branch] = store.loadPlainFile('top = 1\n[s]\nk = v\n');
 * // branch.items: DEFAULT {top: '1'}, s {k: 'v'}
 * store.emitPlainFile([branch!]); // 'top = 1\n\n[s]\nk = v\n'
 * ```
 */
export class IniStore implements Store {
  readonly format: Format = 'ini';

  constructor(options: IniStoreOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  }

  /**
   * Parse a plaintext INI file (sops `LoadPlainFile`): one branch of
   * sections, `DEFAULT` first. Throws `ERR_PARSE` with the line number.
   */
  loadPlainFile(data: string | Uint8Array): TreeBranches {
    return [treeFromSections(new Parser(inputText(data)).parse())];
  }

  /**
   * Emit a plaintext INI file (sops `EmitPlainFile`). Every top-level item
   * must be a map (a section); throws `ERR_EMIT` otherwise.
   */
  emitPlainFile(branches: TreeBranches): string {
    return writeSections(sectionsFromTree(branches));
  }

  /**
   * Parse an encrypted INI file (sops `LoadEncryptedFile`): the `[sops]`
   * section is removed and its flattened keys rebuilt into the metadata
   * tree. `\n` in a value is read as a newline (sops ≥ 3.13.2 writes it so);
   * real newlines from 3.13.0/3.13.1's `"""…"""` values are kept.
   */
  loadEncryptedFile(data: string | Uint8Array): EncryptedFileParts {
    const branches = this.loadPlainFile(data);
    const branch = branches[0]!;
    let metadata: Branch | undefined;
    const kept: TreeItem[] = [];
    for (const item of branch.items) {
      if (item.key !== SOPS_SECTION) {
        kept.push(item);
        continue;
      }
      if (metadata !== undefined) {
        throw new SopsError('ERR_METADATA_INVALID', 'Found duplicate sops entry', { exitCode: ExitCode.ErrorGeneric });
      }
      metadata = item.value as Branch;
    }
    // Go: a section with neither comment nor keys is a nil branch, i.e. no metadata.
    if (metadata === undefined || metadata.items.length === 0) throw new SopsError('ERR_METADATA_NOT_FOUND', 'sops metadata not found');
    branch.items = kept;
    try {
      return { branches, metadata: unflattenMetadata(metadata.items, { escapeNewlines: true }) };
    } catch (e) {
      // sops exits 1 for these (observed with `sops decrypt`).
      if (e instanceof SopsError) throw new SopsError(e.code, e.message, { cause: e, exitCode: ExitCode.ErrorGeneric });
      throw e;
    }
  }

  /**
   * Emit an encrypted INI file (sops `EmitEncryptedFile`): the data, then a
   * `[sops]` section of the flattened metadata with newlines written `\n`,
   * appended to every branch. A data section named `sops` is refused.
   */
  emitEncryptedFile(branches: TreeBranches, metadata: Branch): string {
    let flat: TreeItem[];
    try {
      flat = flattenMetadata(metadata, { escapeNewlines: true });
    } catch (e) {
      if (e instanceof SopsError) throw new SopsError('ERR_EMIT', 'Error marshaling metadata: ' + e.message, { cause: e });
      throw e;
    }
    for (const branch of branches) {
      if (branch.items.some((it) => it.key === SOPS_SECTION)) {
        throw new SopsError('ERR_EMIT', 'Error marshaling metadata: Found key "sops" in encrypted data, which is a reserved key used for SOPS metadata');
      }
    }
    const section: TreeItem = { key: SOPS_SECTION, value: new Branch(flat) };
    return this.emitPlainFile(branches.map((b) => new Branch([...b.items, section])));
  }

  /** Whether a section is named `sops` (sops `HasSopsTopLevelKey`). */
  hasMetadata(branches: TreeBranches): boolean {
    return branches.some((b) => b.items.some((it) => it.key === SOPS_SECTION));
  }

  /**
   * Emit one value as `sops decrypt --extract` does for a non-string value
   * (sops `EmitValue`: Go `json.Marshal`, no trailing newline). A map is
   * marshalled as Go sees a `TreeBranch`: `[{"Key":…,"Value":…}]`.
   */
  emitValue(value: Value): string {
    return goJsonMarshal(value);
  }
}
