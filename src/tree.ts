/**
 * The format-neutral, order-preserving tree that every store parses into and
 * emits from, mirroring sops's `TreeBranches` / `TreeBranch` / `TreeItem`
 * (sops.go). Keys stay in file order, comments are items, and scalars keep the
 * Go type sops would give them, because that type decides both the `type:`
 * tag of an encrypted value and the bytes the MAC hashes.
 *
 * Scalar mapping (JS value ↔ Go type ↔ sops `type:`):
 *
 * | JS                | Go          | type    |
 * |-------------------|-------------|---------|
 * | `string`          | `string`    | `str`   |
 * | `Uint8Array`      | `[]byte`    | `str` (raw bytes, e.g. the binary store) |
 * | `bigint`          | `int`       | `int`   (exact int64) |
 * | `number`          | `float64`   | `float` |
 * | `boolean`         | `bool`      | `bool`  |
 * | {@link SopsTime}  | `time.Time` | `time`  |
 * | {@link Comment}   | `Comment`   | `comment` |
 * | `null`            | `nil`       | never encrypted, never in the MAC |
 *
 * A map is a {@link Branch}; a list is a plain array ({@link List}).
 *
 * @module
 */

/** A comment line, kept as an item of a map or list. `value` is the text after the comment marker. */
export class Comment {
  /** The comment text without its marker: YAML `# foo` gives `" foo"`. */
  readonly value: string;
  /** Whether the comment stood after a value on the same line (sops 3.13 `Comment.Inline`). */
  readonly inline: boolean;
  constructor(value: string, inline = false) {
    this.value = value;
    this.inline = inline;
  }
}

/**
 * A Go `time.Time` as sops sees it: a YAML timestamp, or a `type:time` value.
 * Kept as its canonical text so no precision is lost (Go has nanoseconds).
 */
export class SopsTime {
  /** RFC 3339 with nanoseconds and trailing zeros dropped, as Go's `time.MarshalText` writes it. */
  readonly rfc3339Nano: string;
  constructor(rfc3339Nano: string) {
    this.rfc3339Nano = rfc3339Nano;
  }
  /** RFC 3339 to whole seconds, as Go's `Format(time.RFC3339)`. */
  get rfc3339(): string {
    return this.rfc3339Nano.replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, '');
  }
  toString(): string {
    return this.rfc3339Nano;
  }
}

/** A leaf value. */
export type Scalar = string | Uint8Array | bigint | number | boolean | null | SopsTime;

/** Any value of the tree. */
export type Value = Scalar | Comment | Branch | List;

/** A list: items in order; a comment in a list is an item of type {@link Comment}. */
export type List = Value[];

/** A map key: normally a string; a comment item has a {@link Comment} key and a `null` value. Other scalars come only from YAML and cannot be encrypted. */
export type Key = string | Comment | bigint | number | boolean | null | SopsTime;

/** One entry of a map. */
export interface TreeItem {
  key: Key;
  value: Value;
}

/** A map, with its items in file order. Duplicate keys are kept as they are. */
export class Branch {
  items: TreeItem[];
  constructor(items: TreeItem[] = []) {
    this.items = items;
  }
  /** The value of the first item whose key is `key`, or `undefined`. */
  get(key: string): Value | undefined {
    for (const it of this.items) if (it.key === key) return it.value;
    return undefined;
  }
  /** Whether an item has the string key `key`. */
  has(key: string): boolean {
    return this.items.some((it) => it.key === key);
  }
}

/** A whole file: one branch per YAML document; every other format has exactly one. */
export type TreeBranches = Branch[];

/** Whether `v` is a map. */
export function isBranch(v: unknown): v is Branch {
  return v instanceof Branch;
}

/** Whether `v` is a list. */
export function isList(v: unknown): v is List {
  return Array.isArray(v);
}

/** Options of {@link toJS}. */
export interface ToJSOptions {
  /**
   * How integers come back: `'auto'` gives a `number` when it is a safe
   * integer and a `bigint` otherwise; `'bigint'` always gives a `bigint`.
   * Default: `'auto'`.
   */
  ints?: 'auto' | 'bigint';
  /**
   * Give maps as `Map` objects, which keep every key in file order (a plain
   * object moves integer-like keys such as `"10"` before the others).
   * Default: false.
   */
  maps?: boolean;
}

/**
 * Convert a tree value to plain JavaScript: maps to objects (or `Map`s),
 * lists to arrays, comments dropped, times to `Date`. Use the tree itself
 * when order, comments or exact types matter.
 *
 * @example
 * ```ts
 * const doc = await decryptDocument(text, { fileName: 'secret.enc.yaml', ageIdentities: [key] });
 * const obj = toJS(doc.branches[0]) as { stringData: Record<string, string> };
 * ```
 */
export function toJS(value: Value, options: ToJSOptions = {}): unknown {
  if (value instanceof Branch) {
    if (options.maps) {
      const m = new Map<unknown, unknown>();
      for (const it of value.items) if (!(it.key instanceof Comment)) m.set(toJS(it.key as Value, options), toJS(it.value, options));
      return m;
    }
    const o: Record<string, unknown> = {};
    for (const it of value.items) {
      if (it.key instanceof Comment) continue;
      Object.defineProperty(o, String(it.key instanceof SopsTime ? it.key.rfc3339Nano : it.key), { value: toJS(it.value, options), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  if (Array.isArray(value)) return value.filter((v) => !(v instanceof Comment)).map((v) => toJS(v, options));
  if (typeof value === 'bigint') {
    if (options.ints === 'bigint') return value;
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  if (value instanceof SopsTime) return new Date(value.rfc3339Nano.replace(/(\.\d{3})\d+/, '$1'));
  if (value instanceof Comment) return undefined;
  return value;
}
