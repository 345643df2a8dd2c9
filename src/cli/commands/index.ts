/**
 * The command table. Each command is its own module; a command sops has
 * that sops-ts does not have yet answers with a clear error.
 * @module
 */
import type { Command } from '../common.js';
import { decryptCommand } from './decrypt.js';
import { encryptCommand } from './encrypt.js';

export const COMMANDS: Record<string, Command> = {
  decrypt: decryptCommand,
  encrypt: encryptCommand,
};
