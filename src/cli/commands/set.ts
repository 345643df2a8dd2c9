/**
 * `sops-ts set`: not in this version yet.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { UsageError, type Command } from '../common.js';

export const setCommand: Command = {
  async run() {
    throw new UsageError('sops-ts does not support "set" yet; use Go sops for this command', ExitCode.ErrorGeneric);
  },
};
