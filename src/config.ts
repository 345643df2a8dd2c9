/**
 * `.sops.yaml`: creation rules (which keys and which selection rules a new
 * file gets, by path) and store options, read as sops's `config/config.go`
 * reads them. I/O-free: finding the file is the node layer's job.
 *
 * @module
 */
import { SopsError } from './errors.js';
import { kmsKeyString } from './keysources/kms-name.js';
import { parseHcKmsKeyId, parseHcKmsKeyIds } from './keysources/hckms.js';
import { compileRe2, compileRe2Sync } from './re2.js';
import { YamlStore } from './stores/yaml.js';
import { toJS } from './tree.js';
import type { SelectionRules } from './walk.js';

/** A master key named by a creation rule, not yet used to wrap anything. */
export type KeySpec =
  | { type: 'age'; recipient: string }
  | { type: 'pgp'; fp: string }
  | { type: 'kms'; arn: string; role: string; context: Record<string, string | null> | undefined; awsProfile: string }
  | { type: 'gcp_kms'; resourceId: string }
  | { type: 'hckms'; keyId: string }
  | { type: 'azure_kv'; vaultUrl: string; name: string; version: string }
  | { type: 'hc_vault'; uri: string };

/** One creation rule. */
export interface CreationRule {
  /** RE2, matched unanchored against the file's path relative to the config's directory. */
  pathRegex: string;
  /** The key groups; one group unless the rule has `key_groups`. */
  keyGroups: KeySpec[][];
  shamirThreshold: number;
  /** Selection rules and `mac_only_encrypted` (at most one rule). */
  rules: SelectionRules;
}

/** Store options from the `stores` section. */
export interface StoresConfig {
  yaml: { indent: number };
  json: { indent: number };
  jsonBinary: { indent: number };
}

/** A parsed `.sops.yaml`. */
export interface SopsConfig {
  /** `undefined` when the file has no `creation_rules` (sops treats that as no config). */
  creationRules: CreationRule[] | undefined;
  stores: StoresConfig;
}

type Obj = Record<string, unknown>;

function bad(msg: string): SopsError {
  return new SopsError('ERR_CONFIG', `error loading config: ${msg}`);
}

/** sops `parseKeyField`: a comma-separated string (trimmed, empties dropped) or a list of strings. */
function keyField(v: unknown, name: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(v)) {
    return v.map((x) => {
      if (typeof x !== 'string') throw bad(`invalid ${name} key configuration: expected string in list, got ${typeof x}`);
      return x;
    });
  }
  throw bad(`invalid ${name} key configuration: expected string, []string, or nil, got ${typeof v}`);
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  throw bad('expected a string');
}

function int(v: unknown, name: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw bad(`${name} must be an integer`);
}

function list(v: unknown, name: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(`${name} must be a list`);
  return v;
}

function obj(v: unknown, name: string): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(`${name} must be a map`);
  return v as Obj;
}

/** Split `arn+roleArn` as sops's KMS key parsing does. */
function kmsFromArn(s: string, awsProfile: string): KeySpec {
  const i = s.indexOf('+arn:');
  return i < 0
    ? { type: 'kms', arn: s.trim(), role: '', context: undefined, awsProfile }
    : { type: 'kms', arn: s.slice(0, i).trim(), role: s.slice(i + 1).trim(), context: undefined, awsProfile };
}

function azureFromUrl(u: string): KeySpec {
  const m = /^(https:\/\/[^/]+)\/keys\/([^/]+)(?:\/([^/]*))?$/.exec(u);
  if (!m) throw bad(`invalid Azure Key Vault key URL: ${u}`);
  return { type: 'azure_kv', vaultUrl: m[1]!, name: m[2]!, version: m[3] ?? '' };
}

/** The display string sops deduplicates a group's keys by (`ToString()`). */
export function specName(k: KeySpec): string {
  switch (k.type) {
    case 'age': return k.recipient;
    case 'pgp': return k.fp;
    case 'kms': return kmsKeyString(k);
    case 'gcp_kms': return k.resourceId;
    case 'hckms': return k.keyId;
    case 'azure_kv': return `${k.vaultUrl}/keys/${k.name}/${k.version}`;
    case 'hc_vault': return k.uri;
  }
}

/** sops `extractMasterKeys`: merged groups first, then age, pgp, kms, gcp_kms, hckms, azure_keyvault, hc_vault; duplicates dropped. */
function keyGroupFrom(g: Obj): KeySpec[] {
  const out: KeySpec[] = [];
  for (const m of list(g['merge'], 'merge')) out.push(...keyGroupFrom(obj(m, 'merge')));
  for (const k of list(g['age'], 'age')) for (const r of keyField(str(k), 'age')) out.push({ type: 'age', recipient: r });
  for (const k of list(g['pgp'], 'pgp')) out.push({ type: 'pgp', fp: str(k).replace(/ /g, '') });
  for (const k of list(g['kms'], 'kms')) {
    const o = obj(k, 'kms');
    const ctx = o['context'] === undefined || o['context'] === null ? undefined : Object.fromEntries(Object.entries(obj(o['context'], 'context')).map(([a, b]) => [a, b === null ? null : str(b)]));
    out.push({ type: 'kms', arn: str(o['arn']), role: str(o['role']), context: ctx, awsProfile: str(o['aws_profile']) });
  }
  for (const k of list(g['gcp_kms'], 'gcp_kms')) out.push({ type: 'gcp_kms', resourceId: str(obj(k, 'gcp_kms')['resource_id']) });
  for (const k of list(g['hckms'], 'hckms')) {
    // Kept as written (untrimmed), but checked.
    const keyId = str(obj(k, 'hckms')['key_id']);
    parseHcKmsKeyId(keyId);
    out.push({ type: 'hckms', keyId });
  }
  for (const k of list(g['azure_keyvault'], 'azure_keyvault')) {
    const o = obj(k, 'azure_keyvault');
    out.push({ type: 'azure_kv', vaultUrl: str(o['vaultUrl']), name: str(o['key']), version: str(o['version']) });
  }
  for (const k of list(g['hc_vault'], 'hc_vault')) out.push({ type: 'hc_vault', uri: str(k) });
  const seen = new Set<string>();
  return out.filter((k) => {
    const id = `${k.type}/${specName(k)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function ruleFrom(r: Obj): CreationRule {
  let keyGroups: KeySpec[][];
  const groups = list(r['key_groups'], 'key_groups');
  if (groups.length > 0) {
    keyGroups = groups.map((g) => keyGroupFrom(obj(g, 'key_groups')));
  } else {
    const awsProfile = str(r['aws_profile']);
    const g: KeySpec[] = [
      ...keyField(r['age'], 'age').map((recipient): KeySpec => ({ type: 'age', recipient })),
      ...keyField(r['pgp'], 'pgp').map((fp): KeySpec => ({ type: 'pgp', fp: fp.replace(/ /g, '') })),
      ...keyField(r['kms'], 'kms').map((a) => kmsFromArn(a, awsProfile)),
      ...keyField(r['gcp_kms'], 'gcpkms').map((resourceId): KeySpec => ({ type: 'gcp_kms', resourceId })),
      // sops joins the list with `,` and splits it again (so one entry may give two keys), each checked.
      ...parseHcKmsKeyIds(list(r['hckms'], 'hckms').map(str).join(',')).map((keyId): KeySpec => ({ type: 'hckms', keyId })),
      ...keyField(r['azure_keyvault'], 'azure_keyvault').map(azureFromUrl),
      ...keyField(r['hc_vault_transit_uri'], 'vault').map((uri): KeySpec => ({ type: 'hc_vault', uri })),
    ];
    keyGroups = [g];
  }
  const rules: SelectionRules = {};
  const names: [string, keyof Omit<SelectionRules, 'macOnlyEncrypted'>][] = [
    ['unencrypted_suffix', 'unencryptedSuffix'], ['encrypted_suffix', 'encryptedSuffix'], ['unencrypted_regex', 'unencryptedRegex'],
    ['encrypted_regex', 'encryptedRegex'], ['unencrypted_comment_regex', 'unencryptedCommentRegex'], ['encrypted_comment_regex', 'encryptedCommentRegex'],
  ];
  for (const [field, name] of names) {
    const v = str(r[field]);
    if (v !== '') rules[name] = v;
  }
  if (Object.keys(rules).length > 1) {
    throw bad('cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex for the same rule');
  }
  if (r['mac_only_encrypted'] === true) rules.macOnlyEncrypted = true;
  return { pathRegex: str(r['path_regex']), keyGroups, shamirThreshold: int(r['shamir_threshold'], 'shamir_threshold'), rules };
}

/**
 * Parse `.sops.yaml` text. Unknown keys are ignored, as sops ignores them.
 * Throws `ERR_CONFIG` with sops's wording.
 */
export function parseConfig(text: string): SopsConfig {
  let root: Obj;
  try {
    const branches = new YamlStore().loadPlainFile(text);
    root = branches.length === 0 ? {} : (toJS(branches[0]!) as Obj);
  } catch (e) {
    throw bad(`Could not unmarshal config file: ${e instanceof Error ? e.message : String(e)}`);
  }
  const stores = obj(root['stores'], 'stores');
  const indent = (s: string, dflt: number) => {
    const o = obj(stores[s], s);
    return { indent: o['indent'] === undefined ? dflt : int(o['indent'], `${s}.indent`) };
  };
  const rules = root['creation_rules'];
  return {
    creationRules: rules === undefined || rules === null ? undefined : list(rules, 'creation_rules').map((r) => ruleFrom(obj(r, 'creation_rules'))),
    stores: { yaml: indent('yaml', 0), json: indent('json', 0), jsonBinary: indent('json_binary', 0) },
  };
}

/**
 * Compile the config's `path_regex` patterns, loading `re2js` for those
 * outside the subset translated to `RegExp`, so that {@link creationRuleFor}
 * can stay synchronous. Invalid patterns are not an error here (sops reports
 * them when a rule is tried).
 */
export async function prepareConfig(config: SopsConfig): Promise<void> {
  await Promise.all((config.creationRules ?? []).map((r) => (r.pathRegex === '' ? undefined : compileRe2(r.pathRegex))));
}

/**
 * The first creation rule matching `filePath` (sops
 * `parseCreationRuleForFile`): the path is made relative to `configDir`
 * when it lies under it, and each `path_regex` is matched unanchored.
 * Returns `undefined` when the config has no creation rules; throws
 * `ERR_CONFIG` when none matches.
 */
export function creationRuleFor(config: SopsConfig, configDir: string, filePath: string): CreationRule | undefined {
  if (config.creationRules === undefined) return undefined;
  const prefix = configDir.endsWith('/') ? configDir : configDir + '/';
  const rel = filePath.startsWith(prefix) ? filePath.slice(prefix.length) : filePath;
  for (const r of config.creationRules) {
    if (r.pathRegex === '') return r;
    const re = compileRe2Sync(r.pathRegex);
    if (re === undefined) {
      throw new TypeError(`path_regex ${JSON.stringify(r.pathRegex)} needs re2js: await prepareConfig(config) first (sops-ts/node's loadConfigFile does)`);
    }
    // sops: fmt.Errorf("can not compile regexp: %w", err) with Go's regexp error.
    if (re.error !== undefined) throw new SopsError('ERR_CONFIG', `can not compile regexp: ${re.error}`);
    if (re.test(rel)) return r;
  }
  throw bad('no matching creation rules found');
}
