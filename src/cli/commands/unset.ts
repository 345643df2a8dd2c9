/**
 * `sops-ts unset [--idempotent] FILE PATH`: decrypt, remove one key or list
 * item, re-encrypt with the same data key, write the file in place.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { KeyNotFoundError, TreeOperationError, unsetValue } from '../../treepath.js';
import { UsageError, type Command } from '../common.js';
import { decryptionOrderOf, fileAndTreePath, loadForEdit, reencryptForEdit, writeInPlace } from './set.js';

export const unsetCommand: Command = {
  valueFlags: ['input-type', 'output-type', 'shamir-secret-sharing-threshold', 'decryption-order', 'keyservice'],
  boolFlags: ['ignore-mac', 'idempotent'],
  async run(p, io) {
    if (p.files.length !== 2) throw new UsageError('Error: no file specified, or index is missing', ExitCode.NoFileSpecified);
    const { path, treePath } = fileAndTreePath(p, io, 'unset');
    const order = decryptionOrderOf(p, io);
    const doc = await loadForEdit(p, io, path, order);
    try {
      unsetValue(doc.branches[0]!, treePath);
    } catch (e) {
      if (e instanceof KeyNotFoundError) {
        if (p.bools.has('idempotent')) return 0;
        throw new UsageError(e.message, ExitCode.ErrorGeneric);
      }
      if (e instanceof TreeOperationError) throw new UsageError(e.crash ? `Error: ${e.message}` : e.message, e.crash ? ExitCode.CouldNotReadInputFile : ExitCode.ErrorGeneric);
      throw e;
    }
    writeInPlace(path, await reencryptForEdit(p, io, path, doc));
    return 0;
  },
};
