// Scenario (d): decrypt and MAC-verify many files in ONE process with the
// sops-ts library, as a tool that loads a directory of secrets would.
// sops-ts's CLI decrypts one file per call (as sops does), so this script is
// the "one sops-ts call" of the benchmark.
//
//   node bench/multi-decrypt.mjs [--workers N] KEYFILE FILE...
//
// Files are split among N worker threads (default 2, one per core on the
// benchmark machine); each decrypts its share with Promise.all in batches.
// The plaintexts go to stdout, as `sops decrypt` would write them.
import { readFile } from 'node:fs/promises';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
// What Node resolves `sops-ts` to (the "node" export condition: node:crypto switched on).
import { decrypt } from '../dist/node/auto.js';

const BATCH = 32;

async function decryptAll(files, identity) {
  const out = [];
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH);
    // decrypt() verifies the MAC unless ignoreMac is set.
    out.push(...(await Promise.all(batch.map(async (f) => decrypt(await readFile(f, 'utf8'), { fileName: f, ageIdentities: [identity] })))));
  }
  return out;
}

function identityFrom(text) {
  const line = text.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'));
  if (!line) throw new Error('no AGE-SECRET-KEY- line in the key file');
  return line.trim();
}

if (isMainThread) {
  const args = process.argv.slice(2);
  let workers = 2;
  if (args[0] === '--workers') {
    workers = Number(args[1]);
    args.splice(0, 2);
  }
  const [keyFile, ...files] = args;
  const identity = identityFrom(await readFile(keyFile, 'utf8'));
  let results;
  if (workers <= 1) {
    results = [await decryptAll(files, identity)];
  } else {
    const shares = Array.from({ length: workers }, (_, w) => files.filter((_, i) => i % workers === w));
    results = await Promise.all(
      shares.map(
        (share) =>
          new Promise((resolve, reject) => {
            const w = new Worker(new URL(import.meta.url), { workerData: { files: share, identity } });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
  }
  // Back to the order of the command line: file i went to worker i % workers.
  const n = workers <= 1 ? 1 : workers;
  const texts = files.map((_, i) => results[i % n][Math.floor(i / n)]);
  if (texts.some((t) => typeof t !== 'string')) throw new Error('a file was not decrypted');
  process.stdout.write(texts.join(''));
} else {
  parentPort.postMessage(await decryptAll(workerData.files, workerData.identity));
}
