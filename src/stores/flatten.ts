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
  const descend = (v: Value, key: string, separator = MAP): void => {
    if (v instanceof Branch) {
      for (const it of v.items) {
        if (it.key instanceof Comment) continue;
        if (typeof it.key !== 'string') throw new SopsError('ERR_EMIT', 'Error while flattening metadata: Found non-string key when flattening');
        descend(it.value, key + separator + it.key);
      }
    } else if (Array.isArray(v)) {
      let i = 0;
      for (const x of v) if (!(x instanceof Comment)) descend(x, key + LIST + String(i++));
    } else {
      if (seen.has(key)) throw new SopsError('ERR_EMIT', `Error while flattening metadata: Found key collision ${JSON.stringify(key)} while flattening`);
      seen.add(key);
      out.push({ key, value: options.escapeNewlines && typeof v === 'string' ? v.replaceAll('\n', '\\n') : v });
    }
  };
  // The top level adds no separator, only the prefix.
  descend(tree, options.prefix ?? '', '');
  return out;
}

/**
 * A flat key's path: the top-level key, then each `__map_<key>` as a key
 * and each `__list_<index>` as an index, scanning left to right as sops does
 * (`__map_` is tried first at each position).
 */
function tokenize(path: string): (string | number)[] {
  const parts = path.split(/(__map_|__list_)/);
  const tokens: (string | number)[] = [parts[0]!];
  for (let i = 1; i < parts.length; i += 2) {
    const s = parts[i + 1]!;
    // Go: strconv.Atoi with the error ignored gives 0.
    tokens.push(parts[i] === MAP ? s : /^[+-]?\d+$/.test(s) ? Number(s) : 0);
  }
  return tokens;
}

/** A node of the tree being rebuilt: a leaf value, map keys or list indices (the maps are never empty). */
interface Node {
  value?: { v: Value };
  keys?: Map<string, Node>;
  indices?: Map<number, Node>;
}

function convert(n: Node): Value {
  const { value, keys, indices } = n;
  if (Number(value !== undefined) + Number(keys !== undefined) + Number(indices !== undefined) > 1) throw new Error('Type mismatch');
  if (value) return value.v;
  if (keys) return new Branch([...keys.keys()].sort().map((k) => ({ key: k, value: convert(keys.get(k)!) })));
  if (indices) {
    const idx = [...indices.keys()];
    if (Math.min(...idx) !== 0 || Math.max(...idx) + 1 !== idx.length) throw new Error('Incomplete list');
    return idx.map((_, i) => convert(indices.get(i)!));
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
      const children: Map<string | number, Node> = typeof t === 'string' ? (node.keys ??= new Map()) : (node.indices ??= new Map());
      let next = children.get(t);
      if (next === undefined) children.set(t, (next = {}));
      node = next;
    }
    if (node.value !== undefined) throw new SopsError('ERR_METADATA_INVALID', `Error while unflattening ${JSON.stringify(it.key)}: Duplicate value`);
    node.value = { v: options.escapeNewlines && typeof it.value === 'string' ? it.value.replaceAll('\\n', '\n') : it.value };
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
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return '<nil>';
  if (v instanceof SopsTime) return v.rfc3339;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (v instanceof Comment) return `{${v.value} ${v.inline}}`;
  throw new SopsError('ERR_EMIT', 'cannot convert a map or list to a string');
}
