// Shared by the key-source tests that run Go sops against a local service
// (KMS, Azure, GCP, HuaweiCloud, Vault): an async sops run (the services'
// test doubles live in the test process, so sops must not block it), the
// stored keys of a file, and the per-key error texts of sops's report.
import { spawn } from 'node:child_process';
import { metadataFromTree, type StoredKey } from '../../src/metadata.js';
import { storeFor } from '../../src/sops.js';
import type { Format } from '../../src/stores/store.js';

export interface AsyncRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `bin` (Go sops) without blocking the event loop; `env` is the whole environment. */
export function runAsync(bin: string, args: readonly string[], cwd: string, env: Record<string, string>): Promise<AsyncRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The master keys stored in an encrypted file's metadata, every group flattened. */
export async function storedKeys<K extends StoredKey = StoredKey>(text: string, format: Format = 'yaml'): Promise<K[]> {
  const store = await storeFor(format);
  return metadataFromTree(store.loadEncryptedFile(text).metadata).keyGroups.flat() as K[];
}

/** The error texts in sops's `Failed to get the data key` report, word wrap undone. */
export function reportErrors(report: string): string[] {
  const out: string[] = [];
  for (const line of report.split('\n')) {
    const m = /^ {4}([- ]) \| ?(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '-') out.push(m[2]!);
    else out[out.length - 1] += ' ' + m[2]!;
  }
  return out;
}
