// Cross-format output: a file of one format decrypted (or encrypted) to
// another, as `sops decrypt --output-type` / `sops encrypt --output-type` do.
// Live against Go sops: same bytes, or the same failure (exit code).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SopsError } from '../src/errors.js';
import { parseAgeIdentities } from '../src/keysources/age.js';
import { decryptToBytes, encryptToBytes } from '../src/sops.js';
import type { Format } from '../src/stores/store.js';
import { loadManifest, readVector, requireSops, runSops, vectorPath } from './helpers/sops.js';

const bin = requireSops();
const manifest = loadManifest();
const key = parseAgeIdentities(readFileSync(vectorPath(manifest.keys['age-1']!.file), 'utf8'));
const recipient = manifest.keys['age-1']!.recipient;
const OUTPUTS: Format[] = ['yaml', 'json', 'dotenv', 'ini', 'binary'];
// One vector per input, with the default rules and one recipient.
const vectors = manifest.vectors.filter((v) => v.expectError === null && v.setting === 'none' && v.recipients.length === 1);
const dir = mkdtempSync(join(tmpdir(), 'sops-ts-xfmt-'));

async function ours<T>(f: () => Promise<T>): Promise<{ ok: T } | { code: number }> {
  try {
    return { ok: await f() };
  } catch (e) {
    if (e instanceof SopsError) return { code: e.exitCode };
    throw e;
  }
}

describe.skipIf(bin === undefined)('cross-format, live against sops', () => {
  const cases = vectors.flatMap((v) => OUTPUTS.filter((o) => o !== v.format).map((o) => [`${v.id} → ${o}`, v, o] as const));

  it.each(cases)('decrypt %s', async (_n, v, out) => {
    const r = runSops(['decrypt', '--input-type', v.format, '--output-type', out, vectorPath(v.encrypted!)], { env: { SOPS_AGE_KEY_FILE: vectorPath(manifest.keys['age-1']!.file) } });
    const o = await ours(() => decryptToBytes(new Uint8Array(readVector(v.encrypted!)), { format: v.format, outputFormat: out, ageIdentities: key }));
    if (r.code !== 0) {
      expect(o).toEqual({ code: r.code });
      return;
    }
    expect('ok' in o).toBe(true);
    if ('ok' in o) expect(Buffer.from(o.ok).toString('utf8')).toBe(r.stdout.toString('utf8'));
  });

  it.each(cases)('encrypt %s', async (_n, v, out) => {
    const input = readFileSync(vectorPath(v.input));
    const r = runSops(['encrypt', '--input-type', v.format, '--output-type', out, '--age', recipient, vectorPath(v.input)]);
    const o = await ours(() => encryptToBytes(new Uint8Array(input), { format: v.format, outputFormat: out, age: [recipient] }));
    if (r.code !== 0) {
      expect(o).toEqual({ code: r.code });
      return;
    }
    expect('ok' in o).toBe(true);
    if (!('ok' in o)) return;
    // Random parts differ; sops must read ours and give what it gives for its own.
    const p = join(dir, `${v.id}-${out}.enc`);
    writeFileSync(p, o.ok);
    const env = { SOPS_AGE_KEY_FILE: vectorPath(manifest.keys['age-1']!.file) };
    const theirs = runSops(['decrypt', '--input-type', out, '--output-type', out, p], { env });
    const own = join(dir, `${v.id}-${out}.sops.enc`);
    writeFileSync(own, r.stdout);
    const expected = runSops(['decrypt', '--input-type', out, '--output-type', out, own], { env });
    expect(theirs.code).toBe(expected.code);
    expect(theirs.stdout.toString('utf8')).toBe(expected.stdout.toString('utf8'));
  });
});
