/**
 * Node entry point: files, environment variables and key lookup as sops does
 * them. The core (`sops-ts`) stays I/O-free.
 *
 * @example
 * ```ts
 * import { decryptFile } from 'sops-ts/node';
 * const yaml = await decryptFile('secret.enc.yaml'); // keys from SOPS_AGE_KEY_FILE etc.
 * ```
 * @module
 */
import { decryptToBytes, encryptToBytes, type DecryptOptions, type EncryptOptions } from '../sops.js';
import type { Env } from './age-keys.js';
import { writeFileAtomic } from './files.js';
import { defaultIdentities } from './keys.js';

export { EnvAgeIdentity, loadAgeIdentities, defaultAgeKeyFile, userConfigDir, shlexSplit, type Env } from './age-keys.js';
export { writeFileAtomic } from './files.js';
export { useNodeCrypto, nodeAesGcmKey } from './aes-gcm.js';
export { defaultIdentities, type DefaultIdentitiesOptions } from './keys.js';
export { GpgIdentity, GpgRecipient, normalizeFingerprint, type GpgOptions, type GpgRecipientOptions } from './pgp-gpg.js';
export { createAwsKmsClient, awsKmsIdentity, awsKmsRecipients, type AwsKmsClientOptions, type AwsKmsRecipientsOptions } from './kms-aws.js';
export { createGcpKmsClient, gcpKmsIdentity, gcpKmsRecipients, type GcpKmsClientOptions, type GcpKmsRecipientsOptions } from './gcp-kms.js';
export { createAzureKvClient, azureKvIdentity, azureKvRecipients, type AzureKvClientOptions, type AzureKvRecipientsOptions } from './azure-kv.js';
export { createHcKmsClient, hcKmsIdentity, hcKmsRecipients, type HcKmsClientOptions, type HcKmsRecipientsOptions } from './hckms.js';
export { vaultTokenProvider, vaultTransitOptions, vaultTransitIdentity, vaultTransitRecipients, type VaultEnv } from './hc-vault.js';
export {
  AgePluginIdentity,
  AgePluginRecipient,
  AgePluginError,
  agePluginRecipientResolver,
  findAgePlugin,
  isAgePluginRecipient,
  isAgePluginIdentity,
  parseAgePluginRecipient,
  parseAgePluginIdentity,
  type AgePluginOptions,
  type AgePluginUI,
} from './age-plugin.js';

/** Options of {@link decryptFile}: those of `decrypt`, with `env` for key lookup. */
export interface DecryptFileOptions extends Partial<DecryptOptions> {
  /** Where to look for keys. Default: `process.env`. */
  env?: Env;
}

/**
 * Decrypt a file with every identity sops would try ({@link defaultIdentities}:
 * age keys from `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, SSH
 * keys, the default `keys.txt`; gpg; the cloud KMS kinds), after any given
 * `identities`. Returns the exact bytes `sops decrypt` prints.
 */
export async function decryptFile(path: string, options: DecryptFileOptions = {}): Promise<Uint8Array> {
  const data = new Uint8Array(await (await import('node:fs/promises')).readFile(path));
  const { env, ...rest } = options;
  return decryptToBytes(data, { fileName: path, ...rest, identities: [...(rest.identities ?? []), ...defaultIdentities(env ?? process.env)] });
}

/** Encrypt a file's contents and return the encrypted bytes (`output` given: write there atomically). */
export async function encryptFile(path: string, options: Partial<EncryptOptions> & { output?: string } = {}): Promise<Uint8Array> {
  const data = new Uint8Array(await (await import('node:fs/promises')).readFile(path));
  const { output, ...rest } = options;
  const out = await encryptToBytes(data, { fileName: path, ...rest });
  if (output !== undefined) writeFileAtomic(output, out);
  return out;
}
