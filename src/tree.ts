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
