/**
 * `sops-ts unset [--idempotent] FILE PATH`: decrypt, remove one key or list
 * item, re-encrypt with the same data key, write the file in place.
 * @module
 */
import { resolve } from 'node:path';
import { ExitCode } from '../../errors.js';
import { KeyNotFoundError, TreeOperationError, parseTreePath, unsetValue, type PathComponent } from '../../treepath.js';
import { UsageError, configFor, formats, type Command } from '../common.js';
import { decryptionOrderOf, loadForEdit, reencryptForEdit, writeInPlace } from './set.js';

export const unsetCommand: Command = {
  valueFlags: ['input-type', 'output-type', 'shamir-secret-sharing-threshold', 'decryption-order', 'keyservice'],
  boolFlags: ['ignore-mac', 'idempotent'],
  async run(p, io) {
    if (p.files.length !== 2) throw new UsageError('Error: no file specified, or index is missing', ExitCode.NoFileSpecified);
    const path = resolve(io.cwd, p.files[0]!);
    formats(p, path);
    configFor(p, io);
    let treePath: PathComponent[];
    try {
      treePath = parseTreePath(p.files[1]!);
    } catch {
      throw new UsageError('Invalid unset index format', ExitCode.ErrorInvalidSetFormat);
    }
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
