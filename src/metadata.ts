/**
 * The `sops` metadata block: its model, how it is read from a file (any field
 * order, weakly typed, as sops 3.13's mapstructure decoding) and how it is
 * written (sops 3.13: every map's keys sorted by byte order).
 *
 * The MAC does not cover the metadata: master-key entries, rules and
 * `version` are not authenticated; `lastmodified` is bound only as the MAC's
 * AAD.
 *
 * @module
 */
import { SopsError } from './errors.js';
import { parseGoBool, parseGoInt } from './gofmt.js';
import { parseRfc3339, rfc3339ParseError } from './time.js';
import { Branch, Comment, SopsTime, type Value } from './tree.js';
import { DEFAULT_UNENCRYPTED_SUFFIX, type SelectionRules } from './walk.js';

/** The version of sops whose output sops-ts writes. */
export const SOPS_VERSION = '3.13.3';

/** An age master key as stored: the recipient and the armored age file wrapping the data key. */
export interface AgeStoredKey {
  type: 'age';
  recipient: string;
  enc: string;
}
/** A PGP master key as stored. */
export interface PgpStoredKey {
  type: 'pgp';
  fp: string;
  createdAt: string;
  enc: string;
}
/** An AWS KMS master key as stored. */
export interface KmsStoredKey {
  type: 'kms';
  arn: string;
  role: string;
  /** Encryption context; `null` values are Go nil pointers. */
  context: Record<string, string | null> | undefined;
  createdAt: string;
  enc: string;
  awsProfile: string;
}
/** A GCP KMS master key as stored. */
export interface GcpKmsStoredKey {
  type: 'gcp_kms';
  resourceId: string;
  createdAt: string;
  enc: string;
}
/** A HuaweiCloud KMS master key as stored. */
export interface HcKmsStoredKey {
  type: 'hckms';
  keyId: string;
  createdAt: string;
  enc: string;
}
/** An Azure Key Vault master key as stored. */
export interface AzureKvStoredKey {
  type: 'azure_kv';
  vaultUrl: string;
  name: string;
  version: string;
  createdAt: string;
  enc: string;
}
/** A HashiCorp Vault transit master key as stored. */
export interface VaultStoredKey {
  type: 'hc_vault';
  vaultAddress: string;
  enginePath: string;
  keyName: string;
  createdAt: string;
  enc: string;
}

/** A master key entry of any kind, as stored in the file. */
export type StoredKey = AgeStoredKey | PgpStoredKey | KmsStoredKey | GcpKmsStoredKey | HcKmsStoredKey | AzureKvStoredKey | VaultStoredKey;

/** The master-key kinds, as their metadata names. */
export type KeyType = StoredKey['type'];

/** A key group: every key in it can recover the group's part of the data key. */
export type KeyGroup = StoredKey[];

/** The metadata of an encrypted file. */
export interface Metadata {
  /** One group normally; two or more means Shamir secret sharing. */
  keyGroups: KeyGroup[];
  /** Shares needed with several groups; 0 when unset. */
  shamirThreshold: number;
  /** `lastmodified` as RFC 3339 text (the MAC's AAD is derived from it). */
  lastModified: string;
  /** The encrypted MAC (`ENC[...]`), or `""`. */
  mac: string;
  /** The selection rules, with sops's default suffix applied when none is stored. */
  rules: SelectionRules;
  /** The sops version that wrote the file. */
  version: string;
}

/** Per-kind field names, in sops's struct order (≤ 3.12 writers, and load order). */
const LOAD_ORDER: KeyType[] = ['kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'pgp', 'age'];

type Plain = string | bigint | number | boolean | null | Plain[] | { [k: string]: Plain };

/** Convert a metadata subtree to plain JS, skipping comments (sops `sopsToGo`). Keys lower-cased: mapstructure matches names case-insensitively. */
function toPlain(v: Value): Plain {
  if (v instanceof Branch) {
    const o: { [k: string]: Plain } = Object.create(null) as { [k: string]: Plain };
    for (const it of v.items) {
      if (it.key instanceof Comment) continue;
      if (typeof it.key !== 'string') throw invalid('Unexpected key type in metadata');
      o[it.key.toLowerCase()] = toPlain(it.value);
    }
    return o;
  }
  if (Array.isArray(v)) return v.filter((x) => !(x instanceof Comment)).map(toPlain);
  if (v instanceof SopsTime) return v.rfc3339Nano;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (v instanceof Comment) return null;
  return v;
}

function invalid(msg: string): SopsError {
  return new SopsError('ERR_METADATA_INVALID', msg);
}

/** mapstructure WeaklyTypedInput → string. */
function weakString(v: Plain | undefined, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  throw invalid(`'${field}' expected type 'string', got unconvertible type`);
}

function weakInt(v: Plain | undefined, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    if (v === '') return 0;
    const n = parseGoInt(v);
    if (n !== undefined) return Number(n);
  }
  throw invalid(`cannot parse '${field}' as int`);
}

function weakBool(v: Plain | undefined, field: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    if (v === '') return false;
    const b = parseGoBool(v);
    if (b !== undefined) return b;
  }
  throw invalid(`cannot parse '${field}' as bool`);
}

function list(v: Plain | undefined, field: string): { [k: string]: Plain }[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`'${field}': source data must be an array or slice`);
  return v.map((e) => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw invalid(`'${field}[]' expected a map`);
    return e as { [k: string]: Plain };
  });
}

function checkTime(s: string): string {
  const e = rfc3339ParseError(s);
  if (e !== undefined) throw invalid(e);
  return s;
}

function readKey(type: KeyType, o: { [k: string]: Plain }): StoredKey {
  const s = (f: string) => weakString(o[f], f);
  switch (type) {
    case 'age':
      return { type, recipient: s('recipient'), enc: s('enc') };
    case 'pgp':
      return { type, fp: s('fp'), createdAt: checkTime(s('created_at')), enc: s('enc') };
    case 'kms': {
      const c = o['context'];
      let context: Record<string, string | null> | undefined;
      if (c !== undefined && c !== null) {
        if (typeof c !== 'object' || Array.isArray(c)) throw invalid("'context' expected a map");
        context = {};
        for (const [k, v] of Object.entries(c)) context[k] = v === null ? null : weakString(v, 'context');
      }
      return { type, arn: s('arn'), role: s('role'), context, createdAt: checkTime(s('created_at')), enc: s('enc'), awsProfile: s('aws_profile') };
    }
    case 'gcp_kms':
      return { type, resourceId: s('resource_id'), createdAt: checkTime(s('created_at')), enc: s('enc') };
    case 'hckms':
      return { type, keyId: s('key_id'), createdAt: checkTime(s('created_at')), enc: s('enc') };
    case 'azure_kv':
      return { type, vaultUrl: s('vault_url'), name: s('name'), version: s('version'), createdAt: checkTime(s('created_at')), enc: s('enc') };
    case 'hc_vault':
      return { type, vaultAddress: s('vault_address'), enginePath: s('engine_path'), keyName: s('key_name'), createdAt: checkTime(s('created_at')), enc: s('enc') };
  }
}

function readGroup(o: { [k: string]: Plain }): KeyGroup {
  const group: KeyGroup = [];
  for (const type of LOAD_ORDER) for (const e of list(o[type], type)) group.push(readKey(type, e));
  return group;
}

/**
 * Read the `sops` metadata map of a file (sops `ExtractMetadata` +
 * `ToInternal`). Accepts any field order and sops's weak typing. Throws
 * `ERR_METADATA_INVALID`.
 */
export function metadataFromTree(tree: Branch): Metadata {
  const o = toPlain(tree) as { [k: string]: Plain };
  const lastModified = weakString(o['lastmodified'], 'lastmodified');
  const timeError = rfc3339ParseError(lastModified);
  if (timeError !== undefined) throw invalid(timeError);
  let keyGroups: KeyGroup[];
  const top = readGroup(o);
  if (top.length > 0) keyGroups = [top];
  else {
    keyGroups = list(o['key_groups'], 'key_groups').map(readGroup);
    if (keyGroups.length === 0) throw invalid('No keys found in file');
  }
  const rules: SelectionRules = {};
  const rule = (field: string, name: keyof Omit<SelectionRules, 'macOnlyEncrypted'>) => {
    const v = weakString(o[field], field);
    if (v !== '') rules[name] = v;
  };
  rule('unencrypted_suffix', 'unencryptedSuffix');
  rule('encrypted_suffix', 'encryptedSuffix');
  rule('unencrypted_regex', 'unencryptedRegex');
  rule('encrypted_regex', 'encryptedRegex');
  rule('unencrypted_comment_regex', 'unencryptedCommentRegex');
  rule('encrypted_comment_regex', 'encryptedCommentRegex');
  const count = Object.keys(rules).length;
  if (count > 1) {
    throw invalid('Cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file');
  }
  if (count === 0) rules.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  if (weakBool(o['mac_only_encrypted'], 'mac_only_encrypted')) rules.macOnlyEncrypted = true;
  return {
    keyGroups,
    shamirThreshold: weakInt(o['shamir_threshold'], 'shamir_threshold'),
    lastModified,
    mac: weakString(o['mac'], 'mac'),
    rules,
    version: weakString(o['version'], 'version'),
  };
}

/** The MAC's AAD: `lastmodified` parsed and formatted again with Go's `time.RFC3339` (fractional seconds dropped). */
export function macAad(lastModified: string): string {
  const t = parseRfc3339(lastModified);
  if (t === undefined) throw invalid('lastmodified is not RFC3339');
  return t.rfc3339;
}

function sortedBranch(entries: [string, Value][]): Branch {
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new Branch(entries.map(([key, value]) => ({ key, value })));
}

function keyToTree(k: StoredKey): Branch {
  const e: [string, Value][] = [];
  switch (k.type) {
    case 'age':
      e.push(['recipient', k.recipient], ['enc', k.enc]);
      break;
    case 'pgp':
      e.push(['created_at', k.createdAt], ['enc', k.enc], ['fp', k.fp]);
      break;
    case 'kms':
      e.push(['arn', k.arn], ['created_at', k.createdAt], ['enc', k.enc], ['aws_profile', k.awsProfile]);
      if (k.role !== '') e.push(['role', k.role]);
      if (k.context !== undefined && Object.keys(k.context).length > 0) {
        e.push(['context', sortedBranch(Object.entries(k.context).map(([ck, cv]): [string, Value] => [ck, cv]))]);
      }
      break;
    case 'gcp_kms':
      e.push(['resource_id', k.resourceId], ['created_at', k.createdAt], ['enc', k.enc]);
      break;
    case 'hckms':
      e.push(['key_id', k.keyId], ['created_at', k.createdAt], ['enc', k.enc]);
      break;
    case 'azure_kv':
      e.push(['vault_url', k.vaultUrl], ['name', k.name], ['version', k.version], ['created_at', k.createdAt], ['enc', k.enc]);
      break;
    case 'hc_vault':
      e.push(['vault_address', k.vaultAddress], ['engine_path', k.enginePath], ['key_name', k.keyName], ['created_at', k.createdAt], ['enc', k.enc]);
      break;
  }
  return sortedBranch(e);
}

function groupEntries(group: KeyGroup, alwaysWritten: readonly KeyType[]): [string, Value][] {
  const e: [string, Value][] = [];
  for (const type of LOAD_ORDER) {
    const keys = group.filter((k) => k.type === type);
    if (keys.length > 0 || alwaysWritten.includes(type)) e.push([type, keys.map(keyToTree)]);
  }
  return e;
}

/**
 * The metadata as the tree sops 3.13 writes (`SerializeMetadata`): omitted
 * empty fields, every map's keys sorted by byte order. Stores append it as
 * the `sops` entry.
 */
export function metadataToTree(md: Metadata): Branch {
  const e: [string, Value][] = [];
  if (md.shamirThreshold !== 0) e.push(['shamir_threshold', BigInt(md.shamirThreshold)]);
  if (md.keyGroups.length === 1) {
    e.push(...groupEntries(md.keyGroups[0]!, []));
  } else {
    // In a key group, hc_vault and age have no omitempty: always written.
    e.push(['key_groups', md.keyGroups.map((g) => sortedBranch(groupEntries(g, ['hc_vault', 'age'])))]);
  }
  e.push(['lastmodified', macAad(md.lastModified)], ['mac', md.mac]);
  const r = md.rules;
  const rule = (field: string, v: string | undefined) => {
    if (v !== undefined && v !== '') e.push([field, v]);
  };
  rule('unencrypted_suffix', r.unencryptedSuffix);
  rule('encrypted_suffix', r.encryptedSuffix);
  rule('unencrypted_regex', r.unencryptedRegex);
  rule('encrypted_regex', r.encryptedRegex);
  rule('unencrypted_comment_regex', r.unencryptedCommentRegex);
  rule('encrypted_comment_regex', r.encryptedCommentRegex);
  if (r.macOnlyEncrypted) e.push(['mac_only_encrypted', true]);
  e.push(['version', md.version]);
  return sortedBranch(e);
}
