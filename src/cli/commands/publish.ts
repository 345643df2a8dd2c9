/**
 * `sops-ts publish`: not available. sops's publish copies files to S3, GCS
 * or Vault per the config's `destination_rules`, with those services' SDKs;
 * sops-ts has none of them. Run Go sops (`sops publish`) instead.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { UsageError, type Command } from '../common.js';

export const publishCommand: Command = {
  valueFlags: ['decryption-order', 'keyservice'],
  boolFlags: ['yes', 'y', 'omit-extensions', 'recursive'],
  async run() {
    throw new UsageError(
      'sops-ts does not support "publish": publishing to S3, GCS or Vault (destination_rules) needs those services\' clients, which sops-ts does not include. Run Go sops (`sops publish`) for it',
      ExitCode.ErrorGeneric,
    );
  },
};
