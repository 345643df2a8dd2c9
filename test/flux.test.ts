// Flux's kustomize-controller finds SOPS content by exact substrings
// (`internal/decryptor`): `mac: ENC[` (YAML), `"mac": "ENC[` (JSON and
// binary), `sops_mac=ENC[` (dotenv), `[sops]` (INI). Every file we write must
// carry its format's marker, with sops's exact spacing.
import { describe, expect, it } from 'vitest';
import { encrypt } from '../src/sops.js';
import type { Format } from '../src/stores/store.js';
import { loadManifest } from './helpers/sops.js';

const recipient = loadManifest().keys['age-1']!.recipient;

const SAMPLES: Record<Format, { input: string; marker: RegExp }> = {
  yaml: { input: 'apiVersion: v1\nkind: Secret\nstringData:\n    password: hunter2\n', marker: /^ {4}mac: ENC\[AES256_GCM,/m },
  json: { input: '{"password": "hunter2", "n": 1}', marker: /^\t\t"mac": "ENC\[AES256_GCM,/m },
  binary: { input: 'any bytes\n', marker: /^\t\t"mac": "ENC\[AES256_GCM,/m },
  dotenv: { input: 'PASSWORD=hunter2\n', marker: /^sops_mac=ENC\[AES256_GCM,/m },
  ini: { input: '[db]\npassword = hunter2\n', marker: /^\[sops\]$/m },
};

describe('Flux detection markers', () => {
  it.each(Object.entries(SAMPLES) as [Format, (typeof SAMPLES)[Format]][])('%s', async (format, { input, marker }) => {
    const enc = await encrypt(input, { format, age: [recipient], encryptedRegex: format === 'yaml' ? '^(data|stringData)$' : undefined });
    expect(enc).toMatch(marker);
    if (format === 'yaml') expect(enc).toMatch(/^kind: Secret$/m); // metadata stays readable for Flux and reviewers
  });
});
