/**
 * Flattening of the `sops` metadata for the flat formats (sops
 * `stores/flatten.go`, 3.13): a map level adds `__map_<key>`, a list level
 * `__list_<index>` (comments skipped, the index counts the other items), and
 * empty maps and lists give no entries. dotenv prefixes every key with
 * `sops_`; INI puts them, unprefixed, in a `[sops]` section and escapes
 * newlines in string values as `\n` (`EscapeNewlines`).
 *
 * Order: a depth-first walk of the metadata tree as {@link metadataToTree}
 * builds it (keys sorted), so list indices come in numeric order.
 *
 * @module
 */
import { SopsError } from '../errors.js';
import { formatFloatValToString } from '../gofmt.js';
import { Branch, Comment, SopsTime, type TreeItem, type Value } from '../tree.js';

const MAP = '__map_';
const LIST = '__list_';

/** Options of {@link flattenMetadata} and {@link unflattenMetadata}. */
export interface FlattenOptions {
  /** Prefix of every flat key (`sops_` for dotenv). Default: none. */
  prefix?: string;
  /** Escape newlines in string values as the two characters `\n` (INI). Default: false. */
  escapeNewlines?: boolean;
}

/** Flatten a metadata tree to `key → leaf` items (sops `flattenTreeBranch`). */
export function flattenMetadata(tree: Branch, options: FlattenOptions = {}): TreeItem[] {
  const out: TreeItem[] = [];
  const seen = new Set<string>();
  const descend = (v: Value, key: string): void => {
    if (v instanceof Branch) {
      for (const it of v.items) {
        if (it.key instanceof Comment) continue;
        if (typeof it.key !== 'string') throw new SopsError('ERR_EMIT', 'Error while flattening metadata: Found non-string key when flattening');
        descend(it.value, key + MAP + it.key);
      }
      return;
    }
    if (Array.isArray(v)) {
      let i = 0;
      for (const x of v) {
        if (x instanceof Comment) continue;
        descend(x, key + LIST + String(i++));
      }
      return;
    }
    if (seen.has(key)) throw new SopsError('ERR_EMIT', `Error while flattening metadata: Found key collision ${JSON.stringify(key)} while flattening`);
    seen.add(key);
    const value = options.escapeNewlines && typeof v === 'string' ? v.replaceAll('\n', '\\n') : v;
    out.push({ key, value });
  };
  // The top level adds no separator, only the prefix.
  for (const it of tree.items) {
    if (it.key instanceof Comment) continue;
    if (typeof it.key !== 'string') throw new SopsError('ERR_EMIT', 'Error while flattening metadata: Found non-string key when flattening');
    descend(it.value, (options.prefix ?? '') + it.key);
  }
  return out;
}

type Token = { map: string } | { list: number };

function tokenize(path: string): Token[] {
  const tokens: Token[] = [];
  let state: 'normal' | 'map' | 'list' = 'normal';
  let last = 0;
  let i = 0;
  const finish = () => {
    if (state === 'normal') tokens.push({ map: path.slice(last, i) });
    else if (state === 'map') tokens.push({ map: path.slice(last + MAP.length, i) });
    else {
      // Go: strconv.Atoi with the error ignored gives 0.
      const s = path.slice(last + LIST.length, i);
      tokens.push({ list: /^[+-]?\d+$/.test(s) ? Number(s) : 0 });
    }
    last = i;
  };
  while (i < path.length) {
    if (path.startsWith(MAP, i)) {
      finish();
      state = 'map';
      i += MAP.length;
    } else if (path.startsWith(LIST, i)) {
      finish();
      state = 'list';
      i += LIST.length;
    } else i++;
  }
  finish();
  return tokens;
}

interface Node {
  value?: { v: Value };
  keys?: Map<string, Node>;
  indices?: Map<number, Node>;
}

function convert(n: Node): Value {
  const kinds = Number(n.value !== undefined) + Number((n.keys?.size ?? 0) > 0) + Number((n.indices?.size ?? 0) > 0);
  if (kinds > 1) throw new Error('Type mismatch');
  if (n.value !== undefined) return n.value.v;
  if (n.keys && n.keys.size > 0) {
    const keys = [...n.keys.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return new Branch(keys.map((k) => ({ key: k, value: convert(n.keys!.get(k)!) })));
  }
  if (n.indices && n.indices.size > 0) {
    const idx = [...n.indices.keys()];
    const min = Math.min(...idx);
    const max = Math.max(...idx);
    if (min !== 0 || max + 1 !== idx.length) throw new Error('Incomplete list');
    return Array.from({ length: max + 1 }, (_, i) => convert(n.indices!.get(i)!));
  }
  return new Branch();
}

/**
 * Rebuild the metadata tree from flat items (sops `unflattenTreeBranch`):
 * any order, maps rebuilt with sorted keys. `items` are already stripped of
 * any prefix. Throws `ERR_METADATA_INVALID`.
 */
export function unflattenMetadata(items: readonly TreeItem[], options: FlattenOptions = {}): Branch {
  const root: Node = {};
  for (const it of items) {
    if (it.key instanceof Comment) continue;
    if (typeof it.key !== 'string') throw new SopsError('ERR_METADATA_INVALID', 'Found non-string key when unflattening');
    let node = root;
    for (const t of tokenize(it.key)) {
      if ('map' in t) {
        node.keys ??= new Map();
        let next = node.keys.get(t.map);
        if (next === undefined) node.keys.set(t.map, (next = {}));
        node = next;
      } else {
        node.indices ??= new Map();
        let next = node.indices.get(t.list);
        if (next === undefined) node.indices.set(t.list, (next = {}));
        node = next;
      }
    }
    if (node.value !== undefined) throw new SopsError('ERR_METADATA_INVALID', `Error while unflattening ${JSON.stringify(it.key)}: Duplicate value`);
    const v = options.escapeNewlines && typeof it.value === 'string' ? it.value.replaceAll('\\n', '\n') : it.value;
    node.value = { v };
  }
  try {
    const tree = convert(root);
    if (!(tree instanceof Branch)) throw new Error('Internal error: cannot find root');
    return tree;
  } catch (e) {
    throw new SopsError('ERR_METADATA_INVALID', `Error while unflattening: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * sops `stores.ValToString`, how the flat formats write a non-string value:
 * floats with `'G'` (and `.0` where they would read as integers), bools
 * `true`/`false`, times RFC 3339 to the second, ints in decimal, nil `<nil>`.
 */
export function valToString(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloatValToString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (v === null) return '<nil>';
  if (v instanceof SopsTime) return v.rfc3339;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (v instanceof Comment) return `{${v.value} ${v.inline}}`;
  throw new SopsError('ERR_EMIT', 'cannot convert a map or list to a string');
}
