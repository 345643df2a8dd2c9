/**
 * Tree paths, as sops's `--extract`, `set` and `unset` take them:
 * `["key"][0]["other"]`. Parsing ({@link parseTreePath}), reading a subtree
 * ({@link truncate}), setting a value ({@link setValue}) and removing one
 * ({@link unsetValue}), with sops's semantics and error messages (sops.go
 * `Truncate`/`Set`/`Unset`, cmd/sops/main.go `parseTreePath`). I/O-free.
 *
 * @module
 */
import { goQuote, parseGoInt } from './gofmt.js';
import { Branch, Comment, SopsTime, type List, type TreeItem, type Value } from './tree.js';

/** One step of a path: a map key (string) or a list index (integer). */
export type PathComponent = string | number;

/** A path could not be parsed; `message` is Go sops's (`component x doesn't end with ]`). */
export class TreePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TreePathError';
  }
}

/** `unset` found no such key or index (sops `SopsKeyNotFound`: `Key not found: x`, `Index 3 out of bounds`). */
export class KeyNotFoundError extends Error {
  readonly key: PathComponent;
  constructor(message: string, key: PathComponent) {
    super(message);
    this.name = 'KeyNotFoundError';
    this.key = key;
  }
}

/**
 * A path does not fit the tree: sops's `error truncating tree` causes, and
 * `Unsupported type` in unset. `crash` marks the cases where Go sops itself
 * panics (a negative index, a string key into a list): sops-ts reports an
 * error instead.
 */
export class TreeOperationError extends Error {
  readonly crash: boolean;
  constructor(message: string, crash = false) {
    super(message);
    this.name = 'TreeOperationError';
    this.crash = crash;
  }
}

/**
 * Parse a tree path as sops does: split at `[`, every part must end with
 * `]`; a part starting with `"` or `'` is a key (its first and last
 * characters dropped, whatever they are), anything else an integer (Go
 * `strconv.Atoi`). Text outside brackets is an error; `""` is the empty path.
 *
 * @example
 * ```ts
 * parseTreePath('["data"][0]["name"]'); // ['data', 0, 'name']
 * ```
 */
export function parseTreePath(arg: string): PathComponent[] {
  const path: PathComponent[] = [];
  for (let component of arg.split('[')) {
    if (component === '') continue;
    if (!component.endsWith(']')) throw new TreePathError(`component ${component} doesn't end with ]`);
    component = component.slice(0, -1);
    // Go indexes these unchecked and panics; report them instead.
    if (component === '') throw new TreePathError('component ] is empty');
    if (component[0] === '"' || component[0] === "'") {
      if (component.length < 2) throw new TreePathError(`component ${component}] is not a complete string`);
      path.push(component.slice(1, -1));
    } else {
      const n = parseGoInt(component);
      if (n === undefined) {
        const reason = /^[+-]?[0-9]+$/.test(component) ? 'value out of range' : 'invalid syntax';
        throw new TreePathError(`strconv.Atoi: parsing ${goQuote(component)}: ${reason}`);
      }
      path.push(Number(n));
    }
  }
  return path;
}

/** Format a path back to its bracket form: `["a"][0]`. */
export function formatTreePath(path: readonly PathComponent[]): string {
  return path.map((c) => (typeof c === 'number' ? `[${c}]` : `[${JSON.stringify(c)}]`)).join('');
}

/** Whether a map key is the path component (sops compares interfaces: a YAML int key matches an integer component). */
function keyMatches(key: TreeItem['key'], component: PathComponent): boolean {
  if (typeof component === 'string') return key === component;
  return typeof key === 'bigint' && key === BigInt(component);
}

/** Go's `%s` of a component: a string as it is, an int as `%!s(int=N)`. */
function percentS(c: PathComponent): string {
  return typeof c === 'string' ? c : `%!s(int=${c})`;
}

/** Go's `%T` of a tree value, as sops's messages print it. */
export function goTypeOf(v: Value | TreeItem): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Uint8Array) return '[]uint8';
  if (v instanceof SopsTime) return 'time.Time';
  if (v instanceof Comment) return 'sops.Comment';
  if (v instanceof Branch) return 'sops.TreeBranch';
  if (Array.isArray(v)) return '[]interface {}';
  return 'sops.TreeItem';
}

/**
 * A map entry reached by indexing a map with an integer (`["m"][0]` when
 * `m` is a map): Go sops indexes the map's items and returns the item itself.
 */
export interface ExtractedItem {
  readonly item: TreeItem;
}

/**
 * The value at `path` in `branch` (sops `TreeBranch.Truncate`, used by
 * `decrypt --extract`). Errors: `component ['x'] not found`,
 * `component [3] accesses out of bounds`,
 * `component [0] is integer, but tree part is not a slice`.
 * An integer into a map gives that map's item ({@link ExtractedItem}).
 */
export function truncate(branch: Branch, path: readonly PathComponent[]): Value | ExtractedItem {
  let current: Value | ExtractedItem = branch;
  for (const component of path) {
    if (typeof component === 'string') {
      if (!(current instanceof Branch)) {
        throw new TreeOperationError(`component ['${component}'] cannot be looked up in a ${goTypeOf(isItem(current) ? current.item : current)}`, true);
      }
      const found: TreeItem | undefined = current.items.find((it) => it.key === component);
      if (found === undefined) throw new TreeOperationError(`component ['${component}'] not found`);
      current = found.value;
    } else {
      const seq: readonly (Value | TreeItem)[] | undefined = current instanceof Branch ? current.items : Array.isArray(current) ? current : current instanceof Uint8Array ? Array.from(current, (b: number) => BigInt(b)) : undefined;
      if (seq === undefined) throw new TreeOperationError(`component [${component}] is integer, but tree part is not a slice`);
      if (component < 0) throw new TreeOperationError(`component [${component}] is a negative index`, true);
      if (seq.length <= component) throw new TreeOperationError(`component [${component}] accesses out of bounds`);
      current = current instanceof Branch ? { item: current.items[component]! } : (seq[component] as Value);
    }
  }
  return current;
}

/** Whether a {@link truncate} result is a map item rather than a value. */
export function isItem(v: Value | ExtractedItem): v is ExtractedItem {
  return v !== null && typeof v === 'object' && !(v instanceof Branch) && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof SopsTime) && !(v instanceof Comment) && 'item' in v;
}

/** Go sops's `equals`: deep equality of tree values, types included (an int 1 is not a float 1). */
export function treeEquals(a: Value, b: Value): boolean {
  if (a instanceof Branch) {
    if (!(b instanceof Branch) || a.items.length !== b.items.length) return false;
    return a.items.every((it, i) => treeEquals(it.key as Value, b.items[i]!.key as Value) && treeEquals(it.value, b.items[i]!.value));
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => treeEquals(v, b[i]!));
  }
  if (a instanceof Comment) return b instanceof Comment && a.value === b.value;
  if (a instanceof SopsTime) return b instanceof SopsTime && a.rfc3339Nano === b.rfc3339Nano;
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** sops `valueFromPathAndLeaf`: the value that holds `leaf` at `path` (maps for keys, one-element lists for indexes). */
function valueFromPathAndLeaf(path: readonly PathComponent[], leaf: Value): Value {
  const [head, ...rest] = path;
  const inner = rest.length === 0 ? leaf : valueFromPathAndLeaf(rest, leaf);
  if (typeof head === 'number') return [inner];
  return new Branch([{ key: head!, value: inner }]);
}

function setIn(node: Value, path: readonly PathComponent[], value: Value): [Value, boolean] {
  const head = path[0]!;
  if (node instanceof Branch) {
    const item = node.items.find((it) => keyMatches(it.key, head));
    if (item !== undefined) {
      if (path.length === 1) {
        const changed = !treeEquals(item.value, value);
        item.value = value;
        return [node, changed];
      }
      const [v, changed] = setIn(item.value, path.slice(1), value);
      item.value = v;
      return [node, changed];
    }
    // Not found: append the new entry at the end of the map. An integer
    // component names no map entry: sops appends nothing, yet says "changed".
    const created = valueFromPathAndLeaf(path, value);
    if (created instanceof Branch) node.items.push(created.items[0]!);
    return [node, true];
  }
  if (Array.isArray(node)) {
    if (typeof head !== 'number') throw new TreeOperationError(`cannot set key '${head}' in a list`, true);
    if (head < 0) throw new TreeOperationError(`index out of range [${head}]`, true);
    const list: List = node;
    if (path.length === 1) {
      if (head >= list.length) {
        list.push(value);
        return [list, true];
      }
      const changed = !treeEquals(list[head]!, value);
      list[head] = value;
      return [list, changed];
    }
    if (head >= list.length) {
      list.push(valueFromPathAndLeaf(path.slice(1), value));
      return [list, true];
    }
    const [v, changed] = setIn(list[head]!, path.slice(1), value);
    list[head] = v;
    return [list, changed];
  }
  // A scalar on the way: replaced by the path's new value.
  const created = valueFromPathAndLeaf(path, value);
  return [created, !treeEquals(node, created)];
}

/**
 * Set `value` at `path` in `branch`, in place, as `sops set` does: a
 * missing key is appended at the end of its map, an index past the end of a
 * list appends, missing levels are created (maps for keys, lists for
 * indexes), a scalar in the way is replaced. Returns whether the tree
 * changed (for `--idempotent`). The path must not be empty.
 */
export function setValue(branch: Branch, path: readonly PathComponent[], value: Value): boolean {
  if (path.length === 0) throw new TreeOperationError('the path is empty', true);
  return setIn(branch, path, value)[1];
}

function unsetIn(node: Value, path: readonly PathComponent[]): void {
  const head = path[0]!;
  if (node instanceof Branch) {
    const i = node.items.findIndex((it) => keyMatches(it.key, head));
    if (i < 0) throw new KeyNotFoundError(`Key not found: ${percentS(head)}`, head);
    if (path.length === 1) node.items.splice(i, 1);
    else unsetIn(node.items[i]!.value, path.slice(1));
    return;
  }
  if (Array.isArray(node)) {
    if (typeof head !== 'number') throw new TreeOperationError(`cannot unset key '${head}' in a list`, true);
    if (head < 0) throw new TreeOperationError(`index out of range [${head}]`, true);
    if (head >= node.length) throw new KeyNotFoundError(`Index ${head} out of bounds`, head);
    if (path.length === 1) node.splice(head, 1);
    else unsetIn(node[head]!, path.slice(1));
    return;
  }
  throw new TreeOperationError(`Unsupported type: ${goTypeOf(node)} for item '${percentS(head)}'`);
}

/**
 * Remove the value at `path` from `branch`, in place, as `sops unset` does.
 * Throws {@link KeyNotFoundError} (`Key not found: x`, `Index 3 out of
 * bounds`) when it is not there, and {@link TreeOperationError}
 * (`Unsupported type: string for item 'x'`) when the path goes through a
 * scalar. The path must not be empty.
 */
export function unsetValue(branch: Branch, path: readonly PathComponent[]): void {
  if (path.length === 0) throw new TreeOperationError('the path is empty', true);
  unsetIn(branch, path);
}
