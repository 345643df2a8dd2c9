/**
 * `sops-ts exec-env`: not in this version yet.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { UsageError, type Command } from '../common.js';

export const execEnvCommand: Command = {
  async run() {
    throw new UsageError('sops-ts does not support "exec-env" yet; use Go sops for this command', ExitCode.ErrorGeneric);
  },
};
