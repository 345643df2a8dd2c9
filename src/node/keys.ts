/**
 * The identities sops tries when it decrypts, for Node: age (X25519,
 * post-quantum, SSH keys, plugins) from the environment as sops finds them,
 * PGP through `gpg`, and the cloud KMS kinds through their SDKs (each SDK is
 * loaded only when a file has a key of its kind).
 *
 * @example
 * ```ts
 * import { decrypt } from 'sops-ts';
 * import { defaultIdentities } from 'sops-ts/node';
 * const yaml = await decrypt(text, { format: 'yaml', identities: defaultIdentities() });
 * ```
 * @module
 */
import type { MasterKeyIdentity } from '../keysource.js';
import { AzureKvIdentity } from '../keysources/azure-kv.js';
import { GcpKmsIdentity } from '../keysources/gcp-kms.js';
import { KmsIdentity } from '../keysources/kms.js';
import { EnvAgeIdentity, type Env } from './age-keys.js';
import type { AgePluginOptions } from './age-plugin.js';
import { createAzureKvClient } from './azure-kv.js';
import { createGcpKmsClient } from './gcp-kms.js';
import { createAwsKmsClient } from './kms-aws.js';
import { GpgIdentity } from './pgp-gpg.js';
import { vaultTransitIdentity } from './hc-vault.js';
import { HcKmsIdentity } from '../keysources/hckms.js';
import { createHcKmsClient } from './hckms.js';

/** Options of {@link defaultIdentities}. */
export interface DefaultIdentitiesOptions {
  /** How age plugin identities run (UI callbacks, timeout). Default: non-interactive. */
  agePlugins?: AgePluginOptions;
}

/**
 * Every identity sops tries, in sops's kinds: age (incl. SSH and plugins),
 * PGP (gpg), AWS KMS, GCP KMS, Azure Key Vault, Vault transit, HuaweiCloud KMS. Each returns `null` for
 * keys of other kinds, so the list can be passed as it is.
 */
export function defaultIdentities(env: Env = process.env, options: DefaultIdentitiesOptions = {}): MasterKeyIdentity[] {
  return [
    new EnvAgeIdentity(env, options.agePlugins ?? {}),
    new GpgIdentity({ env }),
    new KmsIdentity(createAwsKmsClient({ env })),
    new GcpKmsIdentity(createGcpKmsClient({ env })),
    new AzureKvIdentity(createAzureKvClient()),
    vaultTransitIdentity(env),
    new HcKmsIdentity(createHcKmsClient({ env })),
  ];
}
