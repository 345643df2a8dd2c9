/**
 * `sops-ts keyservice`: not available. sops's key service is a gRPC server
 * that encrypts and decrypts data keys for remote sops clients; sops-ts has
 * no gRPC server. Run Go sops's `sops keyservice` instead (sops-ts reads and
 * writes the same files).
 * @module
 */
import { ExitCode } from '../../errors.js';
import { UsageError, type Command } from '../common.js';

export const keyserviceCommand: Command = {
  valueFlags: ['network', 'net', 'address', 'addr'],
  boolFlags: ['prompt'],
  async run() {
    throw new UsageError(
      'sops-ts does not support "keyservice": the sops key service is a gRPC server, which sops-ts does not implement. Run Go sops (`sops keyservice`) for it',
      ExitCode.ErrorGeneric,
    );
  },
};
