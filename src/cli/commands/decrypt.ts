/**
 * `sops-ts decrypt FILE` (and `-d`): print the plaintext sops would print.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { decryptToBytes } from '../../sops.js';
import { EnvAgeIdentity } from '../../node/age-keys.js';
import { UsageError, configFor, emit, formats, indentOf, inputFile, one, type CliIo, type Command, type Parsed } from '../common.js';

export const decryptCommand: Command = {
  valueFlags: ['input-type', 'output-type', 'output', 'decryption-order', 'extract', 'filename-override', 'indent'],
  boolFlags: ['ignore-mac', 'in-place'],
  async run(p, io) {
    await runDecrypt(p, io);
    return 0;
  },
};

async function runDecrypt(p: Parsed, io: CliIo): Promise<void> {
  const { path, data } = inputFile(p, io);
  const f = formats(p, path);
  const config = configFor(p, io);
  const order = one(p, 'decryption-order') ?? io.env['SOPS_DECRYPTION_ORDER'];
  const decryptionOrder = order !== undefined && order !== '' ? order.split(',').map((s) => s.trim()) : undefined;
  if (decryptionOrder) {
    const seen = new Set<string>();
    for (const t of decryptionOrder) {
      if (seen.has(t)) throw new UsageError(`Duplicate decryption key type: ${t}`, ExitCode.DuplicateDecryptionKeyType);
      seen.add(t);
    }
  }
  const out = await decryptToBytes(data, {
    format: f.input,
    outputFormat: f.output,
    identities: [new EnvAgeIdentity(io.env)],
    ignoreMac: p.bools.has('ignore-mac'),
    outputStore: indentOf(p, config, f.output),
    onWarning: (m) => io.stderr(`[WARNING] ${m}\n`),
    ...(decryptionOrder ? { decryptionOrder } : {}),
  });
  emit(p, io, path, out);
}

