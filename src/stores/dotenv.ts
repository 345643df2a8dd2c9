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
import { fromUtf8, utf8 } from '../encoding.js';
import { SopsError } from '../errors.js';
import { goQuote } from '../gofmt.js';
import { Branch, Comment } from '../tree.js';
import type { Key, TreeBranches, TreeItem, Value } from '../tree.js';
import { flattenMetadata, unflattenMetadata, valToString } from './flatten.js';
import type { EncryptedFileParts, Format, Store, StoreOptions } from './store.js';

/** Prefix of every metadata item of an encrypted dotenv file (sops `stores.SopsPrefix`). */
export const DOTENV_METADATA_PREFIX = 'sops_';

const NL = 0x0a;
const BACKSLASH = 0x5c;
const LETTER_N = 0x6e;

/**
 * sops's `strings.Replace(v, "\\n", "\n", -1)` (`unescape`) or the reverse
 * (`escape`) on raw bytes: `\` is ASCII, so it never sits inside a
 * multi-byte sequence.
 */
function replaceNewlines(b: Uint8Array, unescape: boolean): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    if (unescape && b[i] === BACKSLASH && b[i + 1] === LETTER_N) {
      out.push(NL);
      i++;
    } else if (!unescape && b[i] === NL) out.push(BACKSLASH, LETTER_N);
    else out.push(b[i]!);
  }
  return Uint8Array.from(out);
}

function parseError(message: string, line: number): SopsError {
  return new SopsError('ERR_PARSE', 'invalid dotenv input line: ' + message, { position: { line, column: 1 } });
}

/**
 * Parse a `.env` file, line by line: text that is known to be UTF-8 (or a JS
 * string), or bytes that are not all valid UTF-8, whose value bytes are kept
 * raw where they are not UTF-8.
 */
function parse(data: string | Uint8Array): Branch {
  const items: TreeItem[] = [];
  const text = typeof data === 'string';
  let start = 0;
  for (let lineNo = 1; start <= data.length; lineNo++) {
    let end = text ? data.indexOf('\n', start) : data.indexOf(NL, start);
    if (end === -1) end = data.length;
    const line = data.slice(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    /** A key or comment, which the tree holds as text. */
    const textOf = (from: number, to: number, what: string): string => {
      const s = typeof line === 'string' ? line.slice(from, to) : fromUtf8(line.subarray(from, to));
      if (s === undefined) throw parseError(`the ${what} on line ${lineNo} is not valid UTF-8`, lineNo);
      return s;
    };
    // `#` (0x23) first: a comment, its text the rest of the line.
    if (line[0] === '#' || line[0] === 0x23) {
      items.push({ key: new Comment(textOf(1, line.length, 'comment')), value: null });
      continue;
    }
    const pos = typeof line === 'string' ? line.indexOf('=') : line.indexOf(0x3d);
    // sops's error prints the line; it may hold a secret, so ours gives its number instead.
    if (pos === -1) throw parseError(`line ${lineNo} has no '='`, lineNo);
    const key = textOf(0, pos, 'key');
    let value: string | Uint8Array;
    if (typeof line === 'string') value = line.slice(pos + 1).replaceAll('\\n', '\n');
    else {
      const raw = replaceNewlines(line.subarray(pos + 1), true);
      value = fromUtf8(raw) ?? raw;
    }
    items.push({ key, value });
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
  throw new SopsError('ERR_EMIT', `Tree contains a non-string key (type ${goTypeName(key as Value)}). Only string keys are supported`);
}

/**
 * Write one branch as sops `EmitPlainFile` does: text, or the exact bytes
 * once a value is not UTF-8.
 */
function emitBranch(items: readonly TreeItem[]): string | Uint8Array {
  // The text since the last raw value, and the output before it as bytes.
  let text = '';
  const chunks: Uint8Array[] = [];
  for (const { key, value: v } of items) {
    if (v instanceof Branch || Array.isArray(v)) {
      // A comment item has a null value, so the key here is never a comment.
      const k = keyText(key);
      throw new SopsError('ERR_EMIT', `cannot use complex value in dotenv file; offending key ${k}`, { keyPath: [k] });
    }
    if (key instanceof Comment) {
      // Comments are written as they are, newlines included (sops does not escape them).
      text += `#${key.value}\n`;
      continue;
    }
    text += keyText(key) + '=';
    if (typeof v === 'string') text += v.replaceAll('\n', '\\n');
    else if (v instanceof Uint8Array) {
      // A Go string holding any bytes: keep them, escaping newlines only.
      const s = fromUtf8(v);
      if (s !== undefined) text += s.replaceAll('\n', '\\n');
      else {
        chunks.push(utf8(text), replaceNewlines(v, false));
        text = '';
      }
    } else text += valToString(v);
    text += '\n';
  }
  if (chunks.length === 0) return text;
  chunks.push(utf8(text));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
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
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new TypeError('data must be a string or a Uint8Array');
    return [parse(typeof data === 'string' ? data : (fromUtf8(data) ?? data))];
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
    if (value instanceof Uint8Array) return fromUtf8(value) ?? Uint8Array.from(value);
    throw new SopsError('ERR_EMIT', `the dotenv store only supports emitting strings, got ${goTypeName(value)}`);
  }
}
