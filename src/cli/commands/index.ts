/**
 * The command table. Each command is its own module; a command sops has
 * that sops-ts does not have yet answers with a clear error.
 * @module
 */
import type { Command } from '../common.js';
import { decryptCommand } from './decrypt.js';
import { encryptCommand } from './encrypt.js';
import { editCommand } from './edit.js';
import { setCommand } from './set.js';
import { unsetCommand } from './unset.js';
import { filestatusCommand } from './filestatus.js';
import { rotateCommand } from './rotate.js';
import { updatekeysCommand } from './updatekeys.js';
import { groupsCommand } from './groups.js';
import { execEnvCommand } from './exec-env.js';
import { execFileCommand } from './exec-file.js';
import { keyserviceCommand } from './keyservice.js';
import { publishCommand } from './publish.js';

export const COMMANDS: Record<string, Command> = {
  decrypt: decryptCommand,
  encrypt: encryptCommand,
  'edit': editCommand,
  'set': setCommand,
  'unset': unsetCommand,
  'filestatus': filestatusCommand,
  'rotate': rotateCommand,
  'updatekeys': updatekeysCommand,
  'groups': groupsCommand,
  'exec-env': execEnvCommand,
  'exec-file': execFileCommand,
  'keyservice': keyserviceCommand,
  'publish': publishCommand,
};
