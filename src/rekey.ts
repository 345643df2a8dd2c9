/**
 * Re-keying a SOPS file, as sops's `rotate`, `updatekeys` and `groups`
 * commands do. I/O-free: bytes and trees in, bytes out.
 *
 * - {@link rotateDocument}: a **new** data key, master keys added/removed,
 *   every value re-encrypted with the new key but its old IV (sops's IV
 *   stash), a new `lastmodified` and MAC; `version` unchanged.
 * - {@link rewrapMetadata}: the **existing** data key wrapped again for a new
 *   set of key groups (Shamir re-split with several groups). With
 *   {@link loadEncrypted} and {@link emitEncrypted} this is `updatekeys`,
 *   `groups add` and `groups delete`: values, MAC and `lastmodified` are
 *   written back exactly as read.
 *
 * Only age keys can be wrapped by sops-ts. Other master keys (PGP, KMS, …)
 * found in a file are kept by name but cannot be re-wrapped: re-keying a file
 * that has them fails with `ERR_NO_KEY`.
 *
 * @module
 */
import { toBytes } from './encoding.js';
import { SopsError, atStage } from './errors.js';
import { storedKeyName, wrapDataKey, type MasterKeyRecipient } from './keysource.js';
import { AgeRecipient } from './keysources/age.js';
import { metadataFromTree, metadataToTree, type KeyGroup, type Metadata, type StoredKey } from './metadata.js';
import { encryptWith, storeFor, type DecryptedDocument } from './sops.js';
import type { Format, StoreOptions } from './stores/store.js';
import { formatRfc3339Utc } from './time.js';
import { Branch, Comment, type TreeBranches } from './tree.js';
import { valToString } from './stores/flatten.js';

/** A key of a key group being written: one already in the file, or a new one to wrap for. */
export type KeyEntry = StoredKey | MasterKeyRecipient;

function isRecipient(k: KeyEntry): k is MasterKeyRecipient {
  return typeof (k as MasterKeyRecipient).wrap === 'function';
}

/** The display name of a key (sops `MasterKey.ToString()`), by which keys are compared. */
export function keyEntryName(k: KeyEntry): string {
  return isRecipient(k) ? k.name : storedKeyName(k);
}

/**
 * Finds the recipient that re-wraps a stored key (rotate, updatekeys, groups):
 * return `undefined` for a kind it does not handle. The core knows age; the
 * node layer adds PGP (gpg) and the KMS kinds.
 */
export type StoredKeyResolver = (key: StoredKey) => MasterKeyRecipient | undefined;

function recipientOf(k: KeyEntry, resolve: StoredKeyResolver | undefined): MasterKeyRecipient {
  if (isRecipient(k)) return k;
  const r = resolve?.(k);
  if (r !== undefined) return r;
  if (k.type === 'age') return new AgeRecipient(k.recipient);
  throw new SopsError('ERR_NO_KEY', `${k.type} keys are not supported here: cannot wrap a data key for ${storedKeyName(k)}`, { exitCode: 1 });
}

/** Options of {@link rewrapMetadata}. */
export interface RewrapOptions {
  /** @internal Random bytes for the Shamir polynomials (tests). */
  random?: (n: number) => Uint8Array;
  /** Recipients for stored keys of kinds other than age. Default: age only. */
  recipientFor?: StoredKeyResolver;
}

/**
 * Wrap `dataKey` for every key of `keyGroups` (sops
 * `UpdateMasterKeysWithKeyServices`, see {@link wrapDataKey}). Returns the
 * metadata with the new groups and threshold; everything else is kept.
 *
 * Throws `ERR_NO_KEY` with sops's `Could not generate data key: [...]` text.
 */
export async function rewrapMetadata(metadata: Metadata, dataKey: Uint8Array, keyGroups: readonly (readonly KeyEntry[])[], shamirThreshold: number, options: RewrapOptions = {}): Promise<Metadata> {
  // Every key is resolved first, so nothing is wrapped when one cannot be.
  const recipients = keyGroups.map((g) => g.map((k) => recipientOf(k, options.recipientFor)));
  const wrapped = await wrapDataKey(recipients, dataKey, shamirThreshold, options.random);
  return { ...metadata, ...wrapped };
}

/** Options of {@link rotateDocument}. */
export interface RotateOptions {
  /** Keys added to the first key group (`--add-age` …). */
  add?: readonly MasterKeyRecipient[];
  /** Keys removed from every group, by name (`--rm-age` …). */
  remove?: readonly string[];
  /** Output format. Default: the document's. */
  outputFormat?: Format;
  /** Output store options (indentation). */
  outputStore?: StoreOptions;
  /** @internal A fixed new data key (32 bytes). Default: random. */
  dataKey?: Uint8Array;
  /** @internal A fixed clock for `lastmodified`. */
  now?: Date;
  /** Recipients for stored keys of kinds other than age. Default: age only. */
  recipientFor?: StoredKeyResolver;
}

/**
 * The key groups after sops's rotate edits: `add` appended to group 0, then
 * every key whose name is in `remove` taken out of every group.
 */
export function editKeyGroups(groups: readonly KeyGroup[], add: readonly MasterKeyRecipient[] = [], remove: readonly string[] = []): KeyEntry[][] {
  const out: KeyEntry[][] = groups.map((g) => [...g]);
  if (add.length > 0) {
    if (out.length === 0) out.push([]);
    out[0]!.push(...add);
  }
  for (const name of remove) {
    for (let i = 0; i < out.length; i++) out[i] = out[i]!.filter((k) => keyEntryName(k) !== name);
  }
  return out;
}

/**
 * Rotate a decrypted document (sops `rotate`): add/remove master keys, a
 * new data key wrapped for every key, every value re-encrypted with it
 * keeping its IV, a new `lastmodified` and MAC. Returns the file's bytes.
 *
 * Errors from wrapping are reported as sops does:
 * `Could not generate data key: [...]`.
 */
export async function rotateDocument(doc: DecryptedDocument, options: RotateOptions = {}): Promise<Uint8Array> {
  const groups = editKeyGroups(doc.metadata.keyGroups, options.add, options.remove);
  const dataKey = options.dataKey ?? crypto.getRandomValues(new Uint8Array(32));
  if (dataKey.length !== 32) throw new RangeError('options.dataKey must be 32 bytes');
  let metadata = await rewrapMetadata(doc.metadata, dataKey, groups, doc.metadata.shamirThreshold, options.recipientFor ? { recipientFor: options.recipientFor } : {});
  metadata = { ...metadata, lastModified: formatRfc3339Utc(options.now ?? new Date()) };
  const cipher = doc.cipher._withDataKey(dataKey);
  return encryptWith({ format: doc.format, branches: doc.branches, metadata, cipher }, options.outputFormat ?? doc.format, options.outputStore ?? {});
}

/** An encrypted file as loaded, not decrypted: its encrypted branches and metadata. */
export interface EncryptedFile {
  format: Format;
  branches: TreeBranches;
  metadata: Metadata;
}

/** Load an encrypted file without decrypting it (sops `LoadEncryptedFile`). */
export async function loadEncrypted(input: string | Uint8Array, format: Format): Promise<EncryptedFile> {
  const store = await storeFor(format);
  const parts = atStage('load', () => store.loadEncryptedFile(format === 'binary' ? toBytes(input) : typeof input === 'string' ? input : toBytes(input)));
  const metadata = atStage('load', () => metadataFromTree(parts.metadata));
  return { format, branches: parts.branches, metadata };
}

/** Emit an encrypted file as loaded, with (possibly new) metadata: values, MAC and `lastmodified` as they were. */
export async function emitEncrypted(file: EncryptedFile, outputFormat: Format = file.format, storeOptions: StoreOptions = {}): Promise<Uint8Array> {
  const store = await storeFor(outputFormat, storeOptions);
  return toBytes(atStage('emit', () => store.emitEncryptedFile(file.branches, metadataToTree(file.metadata))));
}

/** How one key group changes (sops `common.Diff`). */
export interface KeyGroupDiff {
  common: string[];
  added: string[];
  removed: string[];
}

/** Compare key groups by key name, group by group (sops `DiffKeyGroups`). */
export function diffKeyGroups(ours: readonly (readonly string[])[], theirs: readonly (readonly string[])[]): KeyGroupDiff[] {
  const diffs: KeyGroupDiff[] = [];
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const o = ours[i] ?? [];
    const t = theirs[i] ?? [];
    const ourSet = new Set(o);
    const theirSet = new Set(t);
    diffs.push({
      common: t.filter((k) => ourSet.has(k)),
      added: t.filter((k) => !ourSet.has(k)),
      removed: o.filter((k) => !theirSet.has(k)),
    });
  }
  return diffs;
}

/**
 * The text sops prints for an `updatekeys` change (`PrettyPrintShamirDiff`
 * then `PrettyPrintDiffs`). With `color`, the ANSI codes fatih/color adds on
 * a terminal.
 */
export function formatKeyGroupsDiff(oldThreshold: number, newThreshold: number, diffs: readonly KeyGroupDiff[], color = false): string {
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  let out = '';
  if (oldThreshold > 0 && oldThreshold === newThreshold) out += `shamir_threshold: ${newThreshold}\n`;
  else {
    if (newThreshold > 0) out += paint(32, `+++ shamir_threshold: ${newThreshold}\n`);
    if (oldThreshold > 0) out += paint(31, `--- shamir_threshold: ${oldThreshold}\n`);
  }
  diffs.forEach((d, i) => {
    out += paint(4, `Group ${i + 1}\n`);
    for (const c of d.common) out += `    ${c}\n`;
    for (const c of d.added) out += paint(32, `+++ ${c}\n`);
    for (const c of d.removed) out += paint(31, `--- ${c}\n`);
  });
  return out;
}

/**
 * The environment `sops exec-env` builds from the first document: one
 * `KEY=value` per top-level key, comments skipped, non-strings through
 * sops's `ValToString`. Throws (as sops, exit 1) for a map or list value, a
 * non-string key, or a key containing `=`.
 */
export function environmentFrom(branches: TreeBranches): [string, string][] {
  const out: [string, string][] = [];
  const first = branches[0];
  if (first === undefined) return out;
  for (const it of first.items) {
    if (it.value instanceof Branch || Array.isArray(it.value)) {
      throw new SopsError('ERR_EMIT', `cannot use complex value in environment; offending key ${it.key instanceof Comment ? `{${it.key.value} ${it.key.inline}}` : String(it.key)}`, { exitCode: 1 });
    }
    if (it.key instanceof Comment) continue;
    if (typeof it.key !== 'string') throw new SopsError('ERR_EMIT', `cannot use non-string keys in environment, got ${goTypeName(it.key)}`, { exitCode: 1 });
    if (it.key.includes('=')) throw new SopsError('ERR_EMIT', `cannot use keys with '=' in environment: ${it.key}`, { exitCode: 1 });
    out.push([it.key, valToString(it.value)]);
  }
  return out;
}

function goTypeName(k: unknown): string {
  if (typeof k === 'bigint') return 'int';
  if (typeof k === 'number') return 'float64';
  if (typeof k === 'boolean') return 'bool';
  if (k === null) return '<nil>';
  return 'time.Time';
}
