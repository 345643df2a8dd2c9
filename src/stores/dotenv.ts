/**
 * The dotenv store: parses and emits `.env` files byte-for-byte as Go sops
 * 3.13.3 (`stores/dotenv/store.go`) does.
 *
 * sops's dotenv is deliberately simple, and so is this store:
 *
 * - the input is split on `\n` only; an empty line is skipped, but a line
 *   holding only `\r` or spaces is not empty and has no `=`, so it is an
 *   error (a CRLF file with a blank line cannot be read);
 * - a line whose first byte is `#` is a comment, its text the rest of the line
 *   (`#c` → `c`, `# c` → ` c`); `#` after leading spaces is not a comment;
 * - any other line is split at its first `=`: the key is everything before it
 *   and the value everything after it, both verbatim (spaces, quotes, a BOM,
 *   an `export ` prefix, a trailing `\r` are all kept; nothing is unquoted or
 *   expanded), and in the value the two characters `\n` become a newline;
 * - every value is a string (`type:str`); duplicate keys are kept in order.
 *
 * Emission writes `#` + text for a comment and `key=value` for an item, each
 * line ending in `\n`, with every newline of a string value written as the
 * two characters `\n`; other scalars go through sops's `ValToString`. Maps
 * and lists cannot be written.
 *
 * The metadata of an encrypted file is flattened into `sops_`-prefixed items
 * (`sops_age__list_0__map_recipient=…`), appended after the data.
 *
 * Bytes that are not UTF-8: Go keeps them as they are. A value that is not
 * valid UTF-8 is kept as a `Uint8Array` of its raw bytes (so it is encrypted
 * and written back unchanged); a key or comment that is not valid UTF-8 is
 * an `ERR_PARSE` error, because the tree holds keys and comments as text.
 *
 * @module
 */
import { SopsError } from '../errors.js';
import { goQuote } from '../gofmt.js';
import { Branch, Comment } from '../tree.js';
import type { Key, TreeBranches, TreeItem, Value } from '../tree.js';
import { flattenMetadata, unflattenMetadata, valToString } from './flatten.js';
import type { EncryptedFileParts, Format, Store, StoreOptions } from './store.js';

/** Prefix of every metadata item of an encrypted dotenv file (sops `stores.SopsPrefix`). */
export const DOTENV_METADATA_PREFIX = 'sops_';

const utf8Encoder = /* @__PURE__ */ new TextEncoder();
// ignoreBOM keeps a leading U+FEFF: sops keeps it as part of the first key.
const utf8Strict = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const NL = 0x0a;
const BACKSLASH = 0x5c;
const LETTER_N = 0x6e;
const HASH = 0x23;
const EQUALS = 0x3d;

function decodeStrict(b: Uint8Array): string | undefined {
  try {
    return utf8Strict.decode(b);
  } catch {
    return undefined;
  }
}

/** `\n` (two characters) → newline, as sops `strings.Replace(v, "\\n", "\n", -1)`. */
function unescapeText(s: string): string {
  return s.replaceAll('\\n', '\n');
}

/** The same on raw bytes: `\` is ASCII, so it never sits inside a multi-byte sequence. */
function unescapeBytes(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    if (b[i] === BACKSLASH && b[i + 1] === LETTER_N) {
      out.push(NL);
      i++;
    } else out.push(b[i]!);
  }
  return Uint8Array.from(out);
}

/** Newline → the two characters `\n`, on raw bytes. */
function escapeBytes(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const x of b) {
    if (x === NL) out.push(BACKSLASH, LETTER_N);
    else out.push(x);
  }
  return Uint8Array.from(out);
}

function parseError(message: string, line: number): SopsError {
  return new SopsError('ERR_PARSE', message, { position: { line, column: 1 } });
}

/**
 * sops's error names the line and prints it (`invalid dotenv input line:
 * <line>`); the line may hold a secret, so ours gives its number instead.
 */
function noEqualsError(line: number): SopsError {
  return parseError(`invalid dotenv input line: line ${line} has no '='`, line);
}

/** Parse text that is known to be UTF-8 (or a JS string). */
function parseText(text: string): Branch {
  const items: TreeItem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) continue;
    if (line.charCodeAt(0) === HASH) {
      items.push({ key: new Comment(line.slice(1)), value: null });
      continue;
    }
    const pos = line.indexOf('=');
    if (pos === -1) throw noEqualsError(i + 1);
    items.push({ key: line.slice(0, pos), value: unescapeText(line.slice(pos + 1)) });
  }
  return new Branch(items);
}

/** Parse bytes that are not all valid UTF-8, line by line, keeping raw value bytes. */
function parseBytes(data: Uint8Array): Branch {
  const items: TreeItem[] = [];
  let start = 0;
  let lineNo = 0;
  while (start <= data.length) {
    let end = data.indexOf(NL, start);
    if (end === -1) end = data.length;
    lineNo++;
    const line = data.subarray(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    if (line[0] === HASH) {
      const text = decodeStrict(line.subarray(1));
      if (text === undefined) throw parseError(`invalid dotenv input line: the comment on line ${lineNo} is not valid UTF-8`, lineNo);
      items.push({ key: new Comment(text), value: null });
      continue;
    }
    const pos = line.indexOf(EQUALS);
    if (pos === -1) throw noEqualsError(lineNo);
    const key = decodeStrict(line.subarray(0, pos));
    if (key === undefined) throw parseError(`invalid dotenv input line: the key on line ${lineNo} is not valid UTF-8`, lineNo);
    const raw = unescapeBytes(line.subarray(pos + 1));
    const text = decodeStrict(raw);
    items.push({ key, value: text ?? raw });
  }
  return new Branch(items);
}

/** Go type names, for sops's `%T` in messages. */
function goTypeName(v: Value): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (v === null) return '<nil>';
  if (v instanceof Uint8Array) return 'string';
  if (v instanceof Comment) return 'sops.Comment';
  if (v instanceof Branch) return 'sops.TreeBranch';
  if (Array.isArray(v)) return '[]interface {}';
  return 'time.Time';
}

/** A key as text for messages and output; only string keys are possible in sops's dotenv. */
function keyText(key: Key): string {
  if (typeof key === 'string') return key;
  const type = goTypeName(key as Value);
  throw new SopsError('ERR_EMIT', `Tree contains a non-string key (type ${type}). Only string keys are supported`);
}

/** The output: text, or raw bytes once a value is not UTF-8. */
class Output {
  private text = '';
  private chunks: Uint8Array[] | undefined;
  push(part: string | Uint8Array): void {
    if (typeof part === 'string' && this.chunks === undefined) {
      this.text += part;
      return;
    }
    if (this.chunks === undefined) {
      this.chunks = [utf8Encoder.encode(this.text)];
      this.text = '';
    }
    this.chunks.push(typeof part === 'string' ? utf8Encoder.encode(part) : part);
  }
  result(): string | Uint8Array {
    if (this.chunks === undefined) return this.text;
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

/** Write one branch as sops `EmitPlainFile` does. */
function emitBranch(items: readonly TreeItem[]): string | Uint8Array {
  const out = new Output();
  for (const item of items) {
    if (item.value instanceof Branch || Array.isArray(item.value)) {
      // A comment item has a null value, so the key here is never a comment.
      const key = keyText(item.key);
      throw new SopsError('ERR_EMIT', `cannot use complex value in dotenv file; offending key ${key}`, { keyPath: [key] });
    }
    if (item.key instanceof Comment) {
      // Comments are written as they are, newlines included (sops does not escape them).
      out.push(`#${item.key.value}\n`);
      continue;
    }
    out.push(keyText(item.key) + '=');
    const v = item.value;
    if (typeof v === 'string') out.push(v.replaceAll('\n', '\\n'));
    else if (v instanceof Uint8Array) {
      // A Go string holding any bytes: keep them, escaping newlines only.
      const text = decodeStrict(v);
      out.push(text === undefined ? escapeBytes(v) : text.replaceAll('\n', '\\n'));
    } else out.push(valToString(v));
    out.push('\n');
  }
  return out.result();
}

/**
 * The dotenv store, byte-compatible with Go sops 3.13.3's `dotenv.Store`.
 *
 * `emitPlainFile`, `emitEncryptedFile` and `emitValue` return a `string`,
 * except when a value holds bytes that are not valid UTF-8 (read from such a
 * file, or decrypted from one): then the exact bytes, as a `Uint8Array`.
 *
 * @example
 * ```ts
 * const store = new DotenvStore();
 * const [branch] = store.loadPlainFile('# db\nexport PASSWORD=hunter2\nMULTI=a\\nb\n');
 * branch.items; // [{key: Comment(' db')}, {key: 'export PASSWORD', value: 'hunter2'}, {key: 'MULTI', value: 'a\nb'}]
 * store.emitPlainFile([branch]); // '# db\nexport PASSWORD=hunter2\nMULTI=a\\nb\n'
 * ```
 */
export class DotenvStore implements Store {
  readonly format: Format = 'dotenv';

  /** dotenv has no options; `options.indent` is ignored as in sops. */
  constructor(_options: StoreOptions = {}) {}

  /**
   * Parse a `.env` file (sops `LoadPlainFile`): always one branch, possibly
   * empty. `ERR_PARSE` with the line number for a non-empty line without
   * `=` (the line itself is not quoted: it may hold a secret), and for a key
   * or comment that is not valid UTF-8.
   */
  loadPlainFile(data: string | Uint8Array): TreeBranches {
    if (typeof data === 'string') return [parseText(data)];
    if (!(data instanceof Uint8Array)) throw new TypeError('data must be a string or a Uint8Array');
    const text = decodeStrict(data);
    return [text === undefined ? parseBytes(data) : parseText(text)];
  }

  /**
   * Write branch 0 as a `.env` file (sops `EmitPlainFile`); other branches
   * are ignored. `ERR_EMIT` for a map or list value (`cannot use complex
   * value in dotenv file; offending key <k>`).
   */
  emitPlainFile(branches: TreeBranches): string | Uint8Array {
    const branch = branches[0];
    // Go indexes in[0] and would panic on no branch.
    if (branch === undefined) throw new SopsError('ERR_EMIT', 'error emitting dotenv store: there must be at least one tree branch');
    return emitBranch(branch.items);
  }

  /**
   * Parse an encrypted `.env` file (sops `LoadEncryptedFile` with
   * `MetadataFlattenFull`): every item of branch 0 whose key starts with
   * `sops_`, wherever it stands, is taken out of the data, stripped of the
   * prefix and unflattened into the metadata tree. `ERR_METADATA_NOT_FOUND`
   * when there is none; `ERR_METADATA_INVALID` when they do not unflatten.
   */
  loadEncryptedFile(data: string | Uint8Array): EncryptedFileParts {
    const branches = this.loadPlainFile(data);
    const branch = branches[0]!;
    const kept: TreeItem[] = [];
    const flat: TreeItem[] = [];
    for (const item of branch.items) {
      if (typeof item.key === 'string' && item.key.startsWith(DOTENV_METADATA_PREFIX)) {
        flat.push({ key: item.key.slice(DOTENV_METADATA_PREFIX.length), value: item.value });
      } else kept.push(item);
    }
    if (flat.length === 0) throw new SopsError('ERR_METADATA_NOT_FOUND', 'sops metadata not found');
    const metadata = unflattenMetadata(flat);
    branch.items = kept;
    return { branches, metadata };
  }

  /**
   * Write an encrypted `.env` file (sops `EmitEncryptedFile`): the data of
   * branch 0, then the metadata flattened to `sops_…` items. `ERR_EMIT` when
   * a data key starts with `sops_`, as in sops.
   */
  emitEncryptedFile(branches: TreeBranches, metadata: Branch): string | Uint8Array {
    for (const branch of branches) {
      for (const item of branch.items) {
        if (typeof item.key === 'string' && item.key.startsWith(DOTENV_METADATA_PREFIX)) {
          throw new SopsError(
            'ERR_EMIT',
            `Error marshaling metadata: Found key ${goQuote(item.key)} in encrypted data, which starts with the reserved key prefix ${goQuote(DOTENV_METADATA_PREFIX)} for SOPS metadata`,
            { keyPath: [item.key] },
          );
        }
      }
    }
    let flat: TreeItem[];
    try {
      flat = flattenMetadata(metadata, { prefix: DOTENV_METADATA_PREFIX });
    } catch (e) {
      if (e instanceof SopsError) throw new SopsError('ERR_EMIT', `Error marshaling metadata: ${e.message}`, { cause: e });
      throw e;
    }
    const branch = branches[0];
    if (branch === undefined) throw new SopsError('ERR_EMIT', 'error emitting dotenv store: there must be at least one tree branch');
    return emitBranch([...branch.items, ...flat]);
  }

  /**
   * Whether branch 0 has a key starting with `sops_` (sops
   * `HasSopsTopLevelKey`): such a file counts as already encrypted.
   */
  hasMetadata(branches: TreeBranches): boolean {
    const branch = branches[0];
    return branch !== undefined && branch.items.some((it) => typeof it.key === 'string' && it.key.startsWith(DOTENV_METADATA_PREFIX));
  }

  /**
   * One value as `--extract` writes it (sops `EmitValue`): a string as it
   * is, with no newline added; anything else is `ERR_EMIT` (`the dotenv store
   * only supports emitting strings, got int`).
   */
  emitValue(value: Value): string | Uint8Array {
    if (typeof value === 'string') return value;
    if (value instanceof Uint8Array) return decodeStrict(value) ?? Uint8Array.from(value);
    throw new SopsError('ERR_EMIT', `the dotenv store only supports emitting strings, got ${goTypeName(value)}`);
  }
}
