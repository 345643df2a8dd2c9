/**
 * `sops-ts filestatus FILE`: `{"encrypted":true}` when the file loads with
 * sops metadata that has a version and a MAC, `{"encrypted":false}` when it
 * has no metadata (or an empty version or MAC); other load errors fail as
 * sops's do.
 * @module
 */
import { readFileGo } from '../../node/files.js';
import { resolve } from 'node:path';
import { ExitCode, SopsError } from '../../errors.js';
import { storeFor } from '../../sops.js';
import { metadataFromTree } from '../../metadata.js';
import { logrusLine } from '../log.js';
import { UsageError, configFor, formats, type Command } from '../common.js';

export const filestatusCommand: Command = {
  valueFlags: ['input-type'],
  async run(p, io) {
    if (p.files.length < 1) throw new UsageError('Error: no file specified', ExitCode.NoFileSpecified);
    const name = p.files[0]!;
    const f = formats(p, resolve(io.cwd, name));
    configFor(p, io);
    const fail = (why: string): never => {
      // sops returns this error unwrapped, so its main logs it with logrus's fatal level.
      const msg = `cannot check file status: cannot load encrypted file: ${why}`;
      throw new UsageError(logrusLine('CMD', 'fatal', msg).replace(/\n$/, ''), ExitCode.ErrorGeneric);
    };
    let data: Uint8Array = new Uint8Array();
    try {
      data = readFileGo(resolve(io.cwd, name), name);
    } catch (e) {
      fail(`Error reading file: ${e instanceof Error ? e.message : String(e)}`);
    }
    const store = await storeFor(f.input);
    let encrypted = false;
    try {
      const md = metadataFromTree(store.loadEncryptedFile(data).metadata);
      encrypted = md.version !== '' && md.mac !== '';
    } catch (e) {
      if (e instanceof SopsError && e.code === 'ERR_METADATA_NOT_FOUND') encrypted = false;
      else fail(e instanceof Error ? e.message : String(e));
    }
    io.stdout(`{"encrypted":${encrypted}}\n`);
    return 0;
  },
};
