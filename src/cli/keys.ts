/**
 * Master keys for the CLI, in one place: the identities every decrypting
 * command tries, the recipients named by key flags (and their environment
 * variables), by `.sops.yaml` key specs, and by keys already in a file
 * (re-wrapping in `rotate`, `updatekeys`, `groups`).
 *
 * age plugins run only for recipients the user named (flags, environment,
 * `.sops.yaml`) and identities from the user's own key files; a recipient
 * that only a file's metadata names never starts a plugin.
 *
 * @module
 */
import type { CreationRule, KeySpec } from '../config.js';
import { parseSopsSshRecipient } from '../keysources/age-ssh.js';
import { ExitCode } from '../errors.js';
import type { MasterKeyIdentity, MasterKeyRecipient } from '../keysource.js';
import { AgeRecipient, splitRecipients } from '../keysources/age.js';
import { KmsRecipient, invalidKmsEncryptionContextError, parseKmsArns, parseKmsEncryptionContext, type KmsClient } from '../keysources/kms.js';
import type { StoredKey } from '../metadata.js';
import { defaultIdentities } from '../node/keys.js';
import { agePluginRecipientResolver, isAgePluginRecipient } from '../node/age-plugin.js';
import { createAwsKmsClient } from '../node/kms-aws.js';
import { AzureKvRecipient, parseAzureKvUrls, resolveAzureKvVersion, type AzureKvClient } from '../keysources/azure-kv.js';
import { GcpKmsRecipient, parseGcpKmsResourceIds, type GcpKmsClient } from '../keysources/gcp-kms.js';
import { createAzureKvClient } from '../node/azure-kv.js';
import { createGcpKmsClient } from '../node/gcp-kms.js';
import { VaultTransitRecipient, parseVaultTransitUri } from '../keysources/hc-vault.js';
import { vaultTransitOptions, vaultTransitRecipients } from '../node/hc-vault.js';
import { HcKmsRecipient, parseHcKmsKeyIds, type HcKmsClient } from '../keysources/hckms.js';
import { createHcKmsClient } from '../node/hckms.js';
import { GpgRecipient, normalizeFingerprint } from '../node/pgp-gpg.js';
import type { StoredKeyResolver } from '../rekey.js';
import { UsageError, one, type CliIo, type Parsed } from './common.js';
import { warn } from './log.js';

/** Key flags of `encrypt`, `edit` and the legacy form, with the environment variable each falls back to (urfave `EnvVar`). */
export const KEY_FLAG_ENV = {
  kms: 'SOPS_KMS_ARN',
  'gcp-kms': 'SOPS_GCP_KMS_IDS',
  hckms: 'SOPS_HUAWEICLOUD_KMS_IDS',
  'azure-kv': 'SOPS_AZURE_KEYVAULT_URLS',
  'hc-vault-transit': 'SOPS_VAULT_URIS',
  pgp: 'SOPS_PGP_FP',
  age: 'SOPS_AGE_RECIPIENTS',
} as const;

/** The key kinds of the flags, as `--add-<kind>`/`--rm-<kind>` name them. */
export type KeyFlag = keyof typeof KEY_FLAG_ENV;

/** Every value flag about keys that `encrypt`/`edit` take. */
export const KEY_VALUE_FLAGS: readonly string[] = [...Object.keys(KEY_FLAG_ENV), 'aws-profile', 'encryption-context'];

/** The value of a key flag: the flag, else its environment variable, else `''`. */
export function keyFlag(p: Parsed, io: CliIo, name: KeyFlag): string {
  return one(p, name) ?? io.env[KEY_FLAG_ENV[name]] ?? '';
}

/** Kinds whose key sources are not in sops-ts yet. */
const NOT_YET: Partial<Record<KeyFlag | StoredKey['type'], string>> = {};

function notYet(kind: string): UsageError {
  return new UsageError(`${NOT_YET[kind as KeyFlag] ?? kind} keys are not supported by sops-ts yet; use Go sops for this file`, ExitCode.ErrorGeneric);
}

/**
 * The key sources of one CLI run: identities for decrypting, recipients for
 * encrypting, sharing clients (one AWS KMS client per run, created on first use).
 */
export class CliKeys {
  readonly #io: CliIo;
  #kms: KmsClient | undefined;
  #azure: AzureKvClient | undefined;
  #gcp: GcpKmsClient | undefined;
  #hckms: HcKmsClient | undefined;
  /** age recipients the user named: the only ones a plugin may be started for. */
  readonly #userAge: string[] = [];

  constructor(io: CliIo) {
    this.#io = io;
  }

  #kmsClient(): KmsClient {
    this.#kms ??= createAwsKmsClient({ env: this.#io.env });
    return this.#kms;
  }

  #azureClient(): AzureKvClient {
    this.#azure ??= createAzureKvClient();
    return this.#azure;
  }

  #hckmsClient(): HcKmsClient {
    this.#hckms ??= createHcKmsClient({ env: this.#io.env });
    return this.#hckms;
  }

  /** HuaweiCloud KMS recipients for a `region:key-uuid` list (checked as sops checks them). */
  hckms(list: string): HcKmsRecipient[] {
    const client = this.#hckmsClient();
    return parseHcKmsKeyIds(list).map((id) => new HcKmsRecipient(id, client));
  }

  #gcpClient(): GcpKmsClient {
    this.#gcp ??= createGcpKmsClient({ env: this.#io.env });
    return this.#gcp;
  }

  /** Every identity sops tries (`defaultIdentities` of the node layer). */
  identities(): MasterKeyIdentity[] {
    return defaultIdentities(this.#io.env);
  }

  /** Azure Key Vault recipients for a URL list, each key's version pinned first (sops `NewMasterKeyFromURL`). */
  async azure(list: string): Promise<AzureKvRecipient[]> {
    const client = this.#azureClient();
    const out: AzureKvRecipient[] = [];
    for (const ref of parseAzureKvUrls(list)) out.push(new AzureKvRecipient(await resolveAzureKvVersion(ref, client), client));
    return out;
  }

  /** Vault transit recipients for a URI list (split on `,`, not trimmed). */
  vault(list: string): VaultTransitRecipient[] {
    return vaultTransitRecipients(list, this.#io.env);
  }

  /** GCP KMS recipients for a resource ID list. */
  gcp(list: string): GcpKmsRecipient[] {
    const client = this.#gcpClient();
    return parseGcpKmsResourceIds(list).map((id) => new GcpKmsRecipient(id, client));
  }

  /** An age recipient the user named (flag, environment, config): plugin recipients allowed. */
  userAge(recipient: string): AgeRecipient {
    const r = recipient.trim();
    if (isAgePluginRecipient(r)) {
      this.#userAge.push(r);
      return new AgeRecipient(r, agePluginRecipientResolver([r], { env: this.#io.env })(r));
    }
    // SSH keys are parsed now, as sops refuses a malformed one before encrypting.
    return new AgeRecipient(r, r.startsWith('ssh-') ? parseSopsSshRecipient(r) : undefined);
  }

  /** A PGP recipient (gpg), fingerprint as sops keeps it. */
  pgp(fingerprint: string): GpgRecipient {
    return new GpgRecipient(fingerprint, { env: this.#io.env });
  }

  /** KMS recipients for one `ARN[+ROLE]` list (sops `MasterKeysFromArnString`). */
  kms(list: string, context: Record<string, string | null> | undefined, awsProfile: string): KmsRecipient[] {
    const client = this.#kmsClient();
    return parseKmsArns(list, context, awsProfile).map((s) => new KmsRecipient(s, client));
  }

  /** Fail for a key kind sops-ts has no source for yet. */
  static notYet(kind: string): UsageError {
    return notYet(kind);
  }

  /**
   * The recipient for a `.sops.yaml` key spec; `context` is the
   * `--encryption-context` for KMS keys that name none.
   */
  async fromSpec(spec: KeySpec, context?: Record<string, string | null>): Promise<MasterKeyRecipient> {
    switch (spec.type) {
      case 'gcp_kms':
        return new GcpKmsRecipient(spec.resourceId.replaceAll(' ', ''), this.#gcpClient());
      case 'hc_vault':
        return new VaultTransitRecipient(parseVaultTransitUri(spec.uri), vaultTransitOptions(this.#io.env));
      case 'hckms':
        return new HcKmsRecipient(spec.keyId, this.#hckmsClient());
      case 'azure_kv': {
        const client = this.#azureClient();
        const ref = spec.version === '' ? await resolveAzureKvVersion({ vaultUrl: spec.vaultUrl, name: spec.name, version: '' }, client) : spec;
        return new AzureKvRecipient(ref, client);
      }
      case 'age':
        return this.userAge(spec.recipient);
      case 'pgp':
        return this.pgp(spec.fp);
      case 'kms':
        return new KmsRecipient({ arn: spec.arn, role: spec.role, context: spec.context ?? context, awsProfile: spec.awsProfile }, this.#kmsClient());
      default:
        throw notYet((spec as { type: string }).type);
    }
  }

  /**
   * Recipients for keys already in a file (rotate, updatekeys, groups). age
   * plugin recipients only if the user named them in this run.
   */
  resolver(): StoredKeyResolver {
    return (k) => {
      switch (k.type) {
        case 'age':
          if (isAgePluginRecipient(k.recipient)) {
            if (this.#userAge.includes(k.recipient)) return this.userAge(k.recipient);
            throw new UsageError(
              `the file names the age plugin recipient ${JSON.stringify(k.recipient.slice(0, 40) + '…')}, which sops-ts does not run a plugin for on a file's say: name it yourself (--add-age, --age or .sops.yaml) to re-wrap for it`,
              ExitCode.ErrorGeneric,
            );
          }
          return new AgeRecipient(k.recipient);
        case 'pgp':
          return this.pgp(k.fp);
        case 'kms':
          return KmsRecipient.fromStoredKey(k, this.#kmsClient());
        case 'gcp_kms':
          return GcpKmsRecipient.fromStoredKey(k, this.#gcpClient());
        case 'azure_kv':
          return AzureKvRecipient.fromStoredKey(k, this.#azureClient());
        case 'hc_vault':
          return VaultTransitRecipient.fromStoredKey(k, vaultTransitOptions(this.#io.env));
        case 'hckms':
          return HcKmsRecipient.fromStoredKey(k, this.#hckmsClient());
        default:
          throw notYet((k as { type: string }).type);
      }
    };
  }

  /**
   * The `--encryption-context` flag as sops's `kms.ParseKMSContext` reads
   * it: `undefined` when absent or malformed, a malformed one announced by
   * the `AWSKMS` logger's warning (sops prints it at every parse).
   */
  parseContext(p: Parsed): Record<string, string> | undefined {
    const text = one(p, 'encryption-context') ?? '';
    if (text === '') return undefined;
    const ctx = parseKmsEncryptionContext(text);
    if (ctx === undefined) warn(this.#io, 'Encryption context contains a non-string value, context will not be used', 'AWSKMS');
    return ctx;
  }

  /** The `--encryption-context` of the key flags: malformed is exit 6 (sops `keyGroups`), after the warning. */
  encryptionContext(p: Parsed): Record<string, string> | undefined {
    const ctx = this.parseContext(p);
    if (ctx === undefined && (one(p, 'encryption-context') ?? '') !== '') throw invalidKmsEncryptionContextError();
    return ctx;
  }

  /**
   * The context for `.sops.yaml` KMS keys: only the legacy form passes the
   * flag to the config (the `encrypt`/`edit` subcommands load it with none).
   */
  configContext(p: Parsed): Record<string, string> | undefined {
    return p.legacy === true ? this.parseContext(p) : undefined;
  }

  /**
   * The recipients of one key kind's flag value (sops's parsing per kind):
   * age split on `,` and trimmed; PGP split on `,`, spaces removed; KMS
   * `ARN[+ROLE]` entries with the encryption context and `--aws-profile`.
   */
  async fromFlag(p: Parsed, kind: KeyFlag, value: string): Promise<MasterKeyRecipient[]> {
    if (value === '') return [];
    switch (kind) {
      case 'age':
        return splitRecipients(value).map((r) => this.userAge(r));
      case 'pgp':
        return value.split(',').map((fp) => this.pgp(normalizeFingerprint(fp)));
      case 'kms':
        // groupFromFlags has checked the context; rotate's --add-kms only warns.
        return this.kms(value, this.parseContext(p), one(p, 'aws-profile') ?? '');
      case 'gcp-kms':
        return this.gcp(value);
      case 'azure-kv':
        return this.azure(value);
      case 'hc-vault-transit':
        return this.vault(value);
      case 'hckms':
        return this.hckms(value);
      default:
        throw notYet(kind);
    }
  }

  /**
   * The key groups of a new file (sops `getEncryptConfig`): the group from
   * the key flags when there is one, else the creation rule's groups (a rule
   * without keys, even `key_groups: []`, is one empty group to sops), else
   * sops's "config file not found" error.
   */
  async keyGroups(p: Parsed, fromFlags: MasterKeyRecipient[] | undefined, rule: CreationRule | undefined): Promise<MasterKeyRecipient[][]> {
    if (fromFlags !== undefined) return [fromFlags];
    if (rule === undefined) {
      throw new UsageError('config file not found, or has no creation rules, and no keys provided through command line options', ExitCode.ErrorGeneric);
    }
    const context = this.configContext(p);
    const groups = await Promise.all(rule.keyGroups.map((g) => Promise.all(g.map((k) => this.fromSpec(k, context)))));
    return groups.length === 0 ? [[]] : groups;
  }

  /**
   * The key group named by key flags (sops `keyGroups`), or `undefined`
   * when no key flag or variable is set (then `.sops.yaml` decides). The
   * group's order is sops's: KMS, GCP KMS, HuaweiCloud KMS, Azure Key
   * Vault, PGP, Vault transit, age.
   */
  async groupFromFlags(p: Parsed): Promise<MasterKeyRecipient[] | undefined> {
    const order: KeyFlag[] = ['kms', 'gcp-kms', 'hckms', 'azure-kv', 'pgp', 'hc-vault-transit', 'age'];
    const values = order.map((k) => [k, keyFlag(p, this.#io, k)] as const);
    // The legacy form parsed the context once already, for the config.
    if (p.legacy === true) this.parseContext(p);
    // sops checks the encryption context before anything else.
    this.encryptionContext(p);
    if (values.every(([, v]) => v === '')) return undefined;
    const group: MasterKeyRecipient[] = [];
    for (const [k, v] of values) group.push(...(await this.fromFlag(p, k, v)));
    return group;
  }
}
