/**
 * `sops-ts publish`: not in this version yet.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { UsageError, type Command } from '../common.js';

export const publishCommand: Command = {
  async run() {
    throw new UsageError('sops-ts does not support "publish" yet; use Go sops for this command', ExitCode.ErrorGeneric);
  },
};
