/**
 * The walk over a tree that gives every value its path (and so its AAD),
 * decides from the selection rules whether it is encrypted, and feeds the
 * MAC. Mirrors sops's `walkBranch` / `walkSlice` / `shouldBeEncrypted` and
 * `Tree.Encrypt` / `Tree.Decrypt` (sops.go).
 *
 * - The path is the list of map keys from the root; list indices are not in
 *   it, so every item of a list shares the list's AAD.
 * - AAD = `path.join(':') + ':'` (a top-level comment has AAD `:`).
 * - Comments are items: they use the path of the map or list that holds
 *   them, they are encrypted like values, and they never enter the MAC.
 * - `null` is neither encrypted nor hashed.
 *
 * @module
 */
import { digest } from './aes-gcm.js';
import { ValueCipher, plaintextOf, type OpenedValue, type Plaintext } from './cipher.js';
import { hexUpper } from './encoding.js';
import { isInt64 } from './gofmt.js';
import { SopsError } from './errors.js';
import { Branch, Comment, SopsTime, type List, type TreeBranches, type Value } from './tree.js';

/**
 * Which values are encrypted. At most one of the six rules may be set; with
 * none set sops applies `unencryptedSuffix: "_unencrypted"`.
 */
export interface SelectionRules {
  /** Keys ending with this suffix, and everything under them, stay in plaintext. */
  unencryptedSuffix?: string;
  /** Only keys ending with this suffix (and everything under them) are encrypted. */
  encryptedSuffix?: string;
  /** Keys matching this RE2 regex (unanchored) stay in plaintext. */
  unencryptedRegex?: string;
  /** Only keys matching this RE2 regex (unanchored) are encrypted. */
  encryptedRegex?: string;
  /** Values under a comment matching this RE2 regex stay in plaintext. */
  unencryptedCommentRegex?: string;
  /** Only values under a comment matching this RE2 regex are encrypted. */
  encryptedCommentRegex?: string;
  /** The MAC covers only the values that are encrypted (sops ≥ 3.9). Default: false. */
  macOnlyEncrypted?: boolean;
}

/** sops's default `unencrypted_suffix`. */
export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';

const RULE_NAMES = [
  'encryptedSuffix', 'unencryptedSuffix', 'encryptedRegex', 'unencryptedRegex', 'encryptedCommentRegex', 'unencryptedCommentRegex',
] as const;

/**
 * Check that at most one rule is set, and apply sops's default suffix when
 * none is. Throws `ERR_CONFLICTING_PARAMETERS` otherwise.
 */
export function normalizeRules(rules: SelectionRules): SelectionRules {
  const set = RULE_NAMES.filter((n) => rules[n] !== undefined && rules[n] !== '');
  if (set.length > 1) {
    throw new SopsError(
      'ERR_CONFLICTING_PARAMETERS',
      'Cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file',
    );
  }
  const out: SelectionRules = {};
  for (const n of set) out[n] = rules[n];
  if (set.length === 0) out.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  if (rules.macOnlyEncrypted) out.macOnlyEncrypted = true;
  return out;
}

/**
 * The RE2 engine (`re2.ts`: the RegExp translator, and re2js behind it),
 * loaded by {@link prepareSelectionRules} only when a rule has a regex, so
 * that the bundle of a page whose files use suffix rules carries none of it.
 */
let re2: typeof import('./re2.js') | undefined;

function re2Match(pattern: string, s: string): boolean {
  if (re2 === undefined) throw new Error('sops-ts: call prepareSelectionRules() before shouldBeEncrypted() with a regex rule');
  return re2.re2Match(pattern, s);
}

/**
 * Get the regexes of `rules` ready for {@link shouldBeEncrypted} (which is
 * synchronous): loads the RE2 engine and compiles them. The tree walks do
 * this themselves.
 * @example
 * await prepareSelectionRules(rules);
 * shouldBeEncrypted(rules, ['data', 'password'], [[]], false);
 */
export async function prepareSelectionRules(rules: SelectionRules): Promise<void> {
  const patterns = [rules.unencryptedRegex, rules.encryptedRegex, rules.unencryptedCommentRegex, rules.encryptedCommentRegex].filter((p): p is string => p !== undefined && p !== '');
  if (patterns.length === 0) return;
  re2 ??= await import('./re2.js');
  await re2.prepareRe2(patterns);
}

/**
 * sops `shouldBeEncrypted`: the rules applied in sops's order. Rules with a
 * regex need {@link prepareSelectionRules} first (the tree walks do that).
 */
export function shouldBeEncrypted(rules: SelectionRules, path: readonly string[], comments: readonly (readonly string[])[], isComment: boolean): boolean {
  let encrypted = true;
  if (rules.unencryptedSuffix) {
    const s = rules.unencryptedSuffix;
    if (path.some((p) => p.endsWith(s))) encrypted = false;
  }
  if (rules.encryptedSuffix) {
    const s = rules.encryptedSuffix;
    encrypted = path.some((p) => p.endsWith(s));
  }
  if (rules.unencryptedRegex) {
    const r = rules.unencryptedRegex;
    if (path.some((p) => re2Match(r, p))) encrypted = false;
  }
  if (rules.encryptedRegex) {
    const r = rules.encryptedRegex;
    encrypted = path.some((p) => re2Match(r, p));
  }
  if (rules.unencryptedCommentRegex) {
    const r = rules.unencryptedCommentRegex;
    if (comments.some((level) => level.some((c) => re2Match(r, c)))) encrypted = false;
  }
  if (rules.encryptedCommentRegex) {
    const r = rules.encryptedCommentRegex;
    encrypted = false;
    const lastLevel = comments.length - 1;
    outer: for (let i = 0; i < comments.length; i++) {
      const level = comments[i]!;
      for (let j = 0; j < level.length; j++) {
        // The comment being judged is the last of the innermost level: the
        // marker comment itself stays in plaintext.
        if (isComment && i === lastLevel && j === level.length - 1) continue;
        if (re2Match(r, level[j]!)) {
          encrypted = true;
          break outer;
        }
      }
    }
  }
  return encrypted;
}

/** One leaf visited by the walk. */
export interface Leaf {
  /** The value as it stands in the tree (a comment, or a non-null scalar). */
  value: Plaintext;
  /** The map keys from the root (list indices excluded). */
  path: string[];
  /** `path.join(':') + ':'`. */
  aad: string;
  /** Whether the value is a comment item. */
  isComment: boolean;
  /** Whether the selection rules encrypt it. */
  encrypted: boolean;
  /** Put a new value in its place. */
  set(v: Value): void;
}

/**
 * Copy a tree (maps, lists and items are new; scalars are immutable) while
 * collecting its leaves in document order, across all branches.
 */
export function collectLeaves(branches: TreeBranches, rules: SelectionRules): { tree: TreeBranches; leaves: Leaf[] } {
  const leaves: Leaf[] = [];
  const visit = (v: Value, path: string[], comments: string[][], set: (v: Value) => void): Value => {
    if (v === null) return null;
    if (v instanceof Branch) return walkBranch(v, path, comments);
    if (Array.isArray(v)) return walkList(v, path, comments);
    // go-yaml gives integers between 2^63 and 2^64-1 as uint64, a type sops's walk refuses.
    if (typeof v === 'bigint' && !isInt64(v)) throw new SopsError('ERR_ENCRYPT', 'Error walking tree: Cannot walk value, unknown type: uint64', { keyPath: path });
    const isComment = v instanceof Comment;
    leaves.push({
      value: v,
      path,
      aad: path.join(':') + ':',
      isComment,
      encrypted: shouldBeEncrypted(rules, path, comments, isComment),
      set,
    });
    return v;
  };
  const walkList = (list: List, path: string[], stack: string[][]): List => {
    const out: List = new Array(list.length);
    const level: string[] = [];
    const comments = [...stack, level];
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      if (v instanceof Comment) level.push(v.value);
      // Decisions are taken synchronously during the visit, so the live
      // stack is what sops's walk would see at this item.
      out[i] = visit(v, path, comments, (nv) => { out[i] = nv; });
      if (!(v instanceof Comment)) level.length = 0;
    }
    return out;
  };
  const walkBranch = (b: Branch, path: string[], stack: string[][]): Branch => {
    const out = new Branch(new Array(b.items.length));
    const level: string[] = [];
    const comments = [...stack, level];
    for (let i = 0; i < b.items.length; i++) {
      const { key, value } = b.items[i]!;
      const item = { key, value };
      out.items[i] = item;
      if (key instanceof Comment) {
        level.push(key.value);
        const inline = key.inline;
        visit(key, path, comments, (nv) => {
          item.key = nv instanceof Comment ? nv : new Comment(String(nv), inline);
        });
        continue;
      }
      if (value instanceof Comment) level.push(value.value);
      if (typeof key !== 'string') {
        const kind = key === null ? '<nil>' : key instanceof SopsTime ? 'time.Time' : typeof key === 'bigint' ? 'int' : typeof key === 'number' ? 'float64' : typeof key;
        throw new SopsError('ERR_ENCRYPT', `Error walking tree: Tree contains a non-string key (type ${kind}): ${String(key)}. Only string keys are supported`);
      }
      item.value = visit(value, [...path, key], comments, (nv) => { item.value = nv; });
      if (!(value instanceof Comment)) level.length = 0;
    }
    return out;
  };
  const tree = branches.map((b) => walkBranch(b, [], []));
  return { tree, leaves };
}

/**
 * The MAC (sops `Tree` walks' SHA-512, 128 uppercase hex digits) over
 * `parts`; under `mac_only_encrypted` SHA-256("sops") comes first.
 */
async function macOf(parts: Uint8Array[], macOnlyEncrypted: boolean | undefined): Promise<string> {
  if (macOnlyEncrypted) parts.unshift(await digest('SHA-256', [new TextEncoder().encode('sops')]));
  return hexUpper(await digest('SHA-512', parts));
}


/** Options of {@link encryptTree} and {@link decryptTree}. */
export interface WalkOptions {
  /** Called with a warning sops would log (e.g. a comment that was not encrypted). */
  /** Non-fatal findings, with sops's log fields (e.g. `comment`). */
  onWarning?: (message: string, fields?: Record<string, string>) => void;
  /** Remember each value's IV in the cipher's stash (for a later re-encryption). Default: true. */
  stash?: boolean;
}

/**
 * Encrypt every selected value of `branches` (sops `Tree.Encrypt`), returning
 * the new tree and the MAC (128 uppercase hex digits) over the plaintext.
 */
export async function encryptTree(branches: TreeBranches, rules: SelectionRules, cipher: ValueCipher): Promise<{ tree: TreeBranches; mac: string }> {
  await prepareSelectionRules(rules);
  const { tree, leaves } = collectLeaves(branches, rules);
  const hashed: Uint8Array[] = [];
  for (const leaf of leaves) {
    if (!leaf.isComment && (!rules.macOnlyEncrypted || leaf.encrypted)) hashed.push(plaintextOf(leaf.value).bytes);
  }
  const sealed = cipher.sync
    ? leaves.map((leaf) => (leaf.encrypted ? cipher.encryptSync(leaf.value, leaf.aad) : undefined))
    : await Promise.all(leaves.map((leaf) => (leaf.encrypted ? cipher.encrypt(leaf.value, leaf.aad) : undefined)));
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!;
    const enc = sealed[i];
    if (enc === undefined) continue;
    if (leaf.isComment && rules.unencryptedCommentRegex && re2Match(rules.unencryptedCommentRegex, enc)) {
      throw new SopsError('ERR_ENCRYPT', 'Encrypted comment matches UnencryptedCommentRegex! Make sure that UnencryptedCommentRegex cannot match an encrypted comment.');
    }
    leaf.set(enc);
  }
  return { tree, mac: await macOf(hashed, rules.macOnlyEncrypted) };
}

function goTypeName(v: Value): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof SopsTime) return 'time.Time';
  if (v instanceof Uint8Array) return '[]uint8';
  return typeof v;
}

/** The `ENC[...]` text of a leaf to decrypt, or `undefined` if the leaf is not opened. */
function sealedText(leaf: Leaf): string | undefined {
  if (!leaf.encrypted) return undefined;
  const v = leaf.value;
  return v instanceof Comment ? v.value : typeof v === 'string' ? v : undefined;
}

/**
 * Decrypt every selected value of `branches` (sops `Tree.Decrypt`), returning
 * the plaintext tree and the MAC computed over it.
 *
 * With a synchronous AES-GCM (`node:crypto`) values are decrypted one after
 * the other with no promise per value; otherwise (WebCrypto) all at once,
 * and the results are then taken in document order, so that errors,
 * warnings and the IV stash come out in sops's order either way.
 */
export async function decryptTree(branches: TreeBranches, rules: SelectionRules, cipher: ValueCipher, options: WalkOptions = {}): Promise<{ tree: TreeBranches; mac: string }> {
  await prepareSelectionRules(rules);
  const { tree, leaves } = collectLeaves(branches, rules);
  type Outcome = OpenedValue | { error: unknown };
  let open: (enc: string, aad: string, i: number) => OpenedValue;
  if (cipher.sync) {
    open = (enc, aad) => cipher.openSync(enc, aad);
  } else {
    const outcomes = await Promise.all(
      leaves.map((leaf): Promise<Outcome> | undefined => {
        const enc = sealedText(leaf);
        return enc === undefined ? undefined : cipher.open(enc, leaf.aad).catch((error: unknown) => ({ error }));
      }),
    );
    open = (_enc, _aad, i) => {
      const o = outcomes[i]!;
      if ('error' in o) throw o.error;
      return o;
    };
  }
  const hashed: Uint8Array[] = [];
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!;
    let r: OpenedValue;
    const v = leaf.value;
    if (!leaf.encrypted) {
      r = { value: v as Plaintext, iv: undefined };
    } else if (v instanceof Comment) {
      try {
        r = open(v.value, leaf.aad, i);
      } catch {
        // Files from before sops 3 had plaintext comments: keep them.
        options.onWarning?.('Found possibly unencrypted comment in file. This is to be expected if the file being decrypted was created with an older version of SOPS.', { comment: v.value });
        r = { value: v, iv: undefined };
      }
    } else if (typeof v !== 'string') {
      throw new SopsError('ERR_DECRYPT_VALUE', `Error walking tree: Expected encrypted value as string, but got ${goTypeName(v)}`, { keyPath: leaf.path });
    } else {
      try {
        r = open(v, leaf.aad, i);
      } catch (e) {
        const code = e instanceof SopsError ? e.code : 'ERR_DECRYPT_VALUE';
        const msg = e instanceof Error ? e.message : String(e);
        throw new SopsError(code, `Error walking tree: Could not decrypt value: ${msg}`, { cause: e, keyPath: leaf.path });
      }
    }
    // The stash is filled in document order: a later equal (AAD, value) wins, as in sops.
    if (r.iv !== undefined && options.stash !== false) cipher.remember(leaf.aad, r.value, r.iv, r.bytes);
    leaf.set(r.value);
    // sops 3.13.3: what is hashed is decided on the decrypted value, so an
    // encrypted comment stored as a list string does not enter the MAC.
    if (!(r.value instanceof Comment) && (!rules.macOnlyEncrypted || leaf.encrypted)) hashed.push(r.bytes ?? plaintextOf(r.value).bytes);
  }
  return { tree, mac: await macOf(hashed, rules.macOnlyEncrypted) };
}

/** A key path for messages: keys only, never values. */
export function describePath(path: readonly string[]): string {
  return path.length === 0 ? '(top level)' : path.map((k) => `[${JSON.stringify(k)}]`).join('');
}
