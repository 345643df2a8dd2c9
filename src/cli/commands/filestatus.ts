/**
 * `sops-ts filestatus`: not in this version yet.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { UsageError, type Command } from '../common.js';

export const filestatusCommand: Command = {
  async run() {
    throw new UsageError('sops-ts does not support "filestatus" yet; use Go sops for this command', ExitCode.ErrorGeneric);
  },
};
