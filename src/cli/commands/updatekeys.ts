/**
 * `sops-ts updatekeys`: not in this version yet.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { UsageError, type Command } from '../common.js';

export const updatekeysCommand: Command = {
  async run() {
    throw new UsageError('sops-ts does not support "updatekeys" yet; use Go sops for this command', ExitCode.ErrorGeneric);
  },
};
