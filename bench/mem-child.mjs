// Scenario (e): one library operation in a fresh process, for its peak
// memory. Prints the process's max RSS in KiB (process.resourceUsage) on
// stdout; run.mjs prefers /usr/bin/time's figure when it has it (the same
// number, measured from outside).
//
//   node bench/mem-child.mjs TOOL OP FILE FORMAT KEYFILE
//   TOOL: sops-ts | sops-age    OP: decrypt | encrypt
import { readFileSync } from 'node:fs';

const [tool, op, file, format, keyFile] = process.argv.slice(2);
const keyText = readFileSync(keyFile, 'utf8');
const identity = keyText.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-')).trim();
const recipient = /public key: (age1\w+)/.exec(keyText)[1];
const text = readFileSync(file, 'utf8');

if (tool === 'sops-ts') {
  const sops = await import('../dist/node/auto.js') /* what Node resolves `sops-ts` to (the "node" export condition) */;
  if (op === 'decrypt') await sops.decrypt(text, { format, ageIdentities: [identity] });
  else await sops.encrypt(text, { format, age: [recipient] });
} else if (tool === 'sops-age') {
  const { decryptSops } = await import('sops-age');
  await decryptSops(text, { secretKey: identity, fileType: format });
} else {
  throw new Error(`unknown tool ${tool}`);
}
process.stdout.write(String(process.resourceUsage().maxRSS) + '\n');
