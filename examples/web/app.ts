/**
 * The sops-ts web page: decrypt a SOPS file with an age identity, or, without
 * a key, show its recipients and which values are encrypted. It uses only the
 * library's root entry, exactly as a web app would (`import … from 'sops-ts'`),
 * and renders with `textContent` only: the file is untrusted input.
 *
 * Built by `node scripts/build-web.mjs` into one self-contained HTML file.
 * @module
 */
import {
  Branch,
  Comment,
  SopsError,
  SopsTime,
  decryptDocument,
  formatFromFileName,
  isEncryptedValue,
  loadEncrypted,
  parseAgeIdentities,
  parseEncryptedValue,
  storeFor,
  storedKeyName,
  type EncryptedFile,
  type Format,
  type Metadata,
  type SelectionRules,
  type TreeBranches,
  type Value,
} from 'sops-ts';

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

const form = $<HTMLFormElement>('form');
const fileText = $<HTMLTextAreaElement>('file-text');
const fileName = $<HTMLInputElement>('file-name');
const fileInput = $<HTMLInputElement>('file-input');
const formatSelect = $<HTMLSelectElement>('format');
const identityText = $<HTMLTextAreaElement>('identity');
const inspectButton = $<HTMLButtonElement>('inspect');
const results = $<HTMLElement>('results');
const statusLine = $<HTMLElement>('status');
const plaintextBox = $<HTMLElement>('plaintext-box');
const plaintextOut = $<HTMLOutputElement>('plaintext');
const keyGroupsBox = $<HTMLElement>('key-groups');
const metadataList = $<HTMLDListElement>('metadata');
const valuesSummary = $<HTMLElement>('values-summary');
const valuesBody = $<HTMLTableElement>('values').tBodies[0]!;

/** Create an element with text (never HTML) and children. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string, ...children: Node[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className !== undefined) e.className = className;
  e.append(...children);
  return e;
}

// ---------------------------------------------------------------- input

/**
 * The format: the selector, else the file name (as sops infers it), else a
 * guess from the text, since a pasted file has no name.
 */
function chosenFormat(text: string): { format: Format; how: string } {
  if (formatSelect.value !== '') return { format: formatSelect.value as Format, how: 'chosen' };
  const name = fileName.value.trim();
  if (name !== '') return { format: formatFromFileName(name), how: 'from the file name' };
  return { format: guessFormat(text), how: 'guessed from the text' };
}

/** Where each store keeps the metadata: `sops:` (YAML), `"sops"` (JSON), `sops_*=` (dotenv), `[sops]` (INI). */
function guessFormat(text: string): Format {
  const t = text.trimStart();
  if (t.startsWith('{')) {
    // The binary store writes `{"data": "ENC[…]", "sops": …}`: a JSON file with no other key.
    try {
      const keys = Object.keys(JSON.parse(t) as object);
      return keys.length === 2 && keys.includes('data') && keys.includes('sops') ? 'binary' : 'json';
    } catch {
      return 'json';
    }
  }
  if (/^sops_[a-z_]+=/m.test(text)) return 'dotenv';
  if (/^\[sops\]\s*$/m.test(text)) return 'ini';
  return 'yaml';
}

/** age identities from the text area: key-file lines, indentation and `#` comments allowed. */
function identities(): string[] {
  const text = identityText.value.split('\n').map((l) => l.trim()).join('\n');
  const ids = parseAgeIdentities(text);
  if (ids.length === 0) throw new Error('Paste an age identity (AGE-SECRET-KEY-1…) to decrypt, or use “Show what is encrypted”.');
  return ids;
}

async function readDroppedFile(file: File, into: 'file' | 'identity'): Promise<void> {
  const text = new TextDecoder().decode(await file.arrayBuffer());
  if (into === 'identity') {
    identityText.value = text;
    return;
  }
  fileText.value = text;
  fileName.value = file.name;
}

for (const [zone, into] of [[$('file-zone'), 'file'], [$('identity-zone'), 'identity']] as const) {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    zone.classList.remove('dragging');
    const file = e.dataTransfer?.files[0];
    if (file !== undefined) void readDroppedFile(file, into).catch(showError);
  });
}
// A file dropped anywhere else would make the browser open it in place of this page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file !== undefined) void readDroppedFile(file, 'file').catch(showError);
});

// ---------------------------------------------------------------- output

function setStatus(kind: 'ok' | 'error' | 'info', text: string): void {
  statusLine.className = `status ${kind}`;
  statusLine.textContent = text;
}

/** Errors show sops's message and its stable code; the library never puts a secret in a message. */
function showError(e: unknown): void {
  results.hidden = false;
  if (e instanceof SopsError) {
    const what = e.code === 'ERR_MAC_MISMATCH' ? 'MAC check failed: the file was changed after it was encrypted. ' : '';
    setStatus('error', `${what}${e.message} (${e.code}, sops exit code ${e.exitCode})`);
  } else {
    setStatus('error', e instanceof Error ? e.message : String(e));
  }
}

const KEY_KINDS: Record<string, string> = {
  age: 'age',
  pgp: 'PGP',
  kms: 'AWS KMS',
  gcp_kms: 'GCP KMS',
  azure_kv: 'Azure Key Vault',
  hc_vault: 'Vault transit',
  hckms: 'HuaweiCloud KMS',
};

function renderKeyGroups(md: Metadata): void {
  keyGroupsBox.replaceChildren();
  const many = md.keyGroups.length > 1;
  if (many) {
    keyGroupsBox.append(el('p', `Shamir secret sharing: ${md.shamirThreshold || md.keyGroups.length} of ${md.keyGroups.length} key groups are needed to decrypt.`, 'hint'));
  }
  md.keyGroups.forEach((group, i) => {
    const list = el('ul', undefined, 'recipients');
    for (const key of group) {
      list.append(el('li', undefined, undefined, el('span', KEY_KINDS[key.type] ?? key.type, `kind kind-${key.type}`), el('code', storedKeyName(key), 'recipient')));
    }
    if (group.length === 0) list.append(el('li', '(empty group)'));
    keyGroupsBox.append(many ? el('section', undefined, 'group', el('h4', `Group ${i + 1}`), list) : list);
  });
}

/** sops's metadata names for the selection rules. */
const RULE_NAMES: [keyof SelectionRules, string][] = [
  ['unencryptedSuffix', 'unencrypted_suffix'],
  ['encryptedSuffix', 'encrypted_suffix'],
  ['unencryptedRegex', 'unencrypted_regex'],
  ['encryptedRegex', 'encrypted_regex'],
  ['unencryptedCommentRegex', 'unencrypted_comment_regex'],
  ['encryptedCommentRegex', 'encrypted_comment_regex'],
];

function renderMetadata(md: Metadata, format: Format, how: string): void {
  const rows: [string, string][] = [['format', `${format} (${how})`], ['written by', `sops ${md.version}`], ['last modified', md.lastModified]];
  for (const [field, name] of RULE_NAMES) {
    const v = md.rules[field];
    if (typeof v === 'string' && v !== '') rows.push([name, v]);
  }
  rows.push(['MAC covers', md.rules.macOnlyEncrypted ? 'encrypted values only (mac_only_encrypted)' : 'every value']);
  metadataList.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
}

/** One value or comment of the file, as it is stored. */
interface StoredValue {
  path: string;
  kind: 'value' | 'comment';
  encrypted: boolean;
  /** The sops `type:` of an encrypted value, or the type of a plaintext one. */
  type: string;
}

function typeOf(v: Value): string {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof SopsTime) return 'time';
  if (v instanceof Uint8Array) return 'bytes';
  return 'null';
}

/**
 * Every value and comment of the data with its path (in sops's
 * `--extract` form, list indices included) and whether the file stores it
 * encrypted. Null values are never encrypted by sops and are left out.
 */
function storedValues(branches: TreeBranches): StoredValue[] {
  const out: StoredValue[] = [];
  const leaf = (v: Value, path: string, kind: StoredValue['kind']): void => {
    const text = v instanceof Comment ? v.value : v;
    if (typeof text === 'string' && isEncryptedValue(text)) {
      out.push({ path, kind, encrypted: true, type: parseEncryptedValue(text).type });
    } else if (v !== null) {
      out.push({ path, kind, encrypted: false, type: kind === 'comment' ? 'comment' : typeOf(v) });
    }
  };
  const visit = (v: Value, path: string): void => {
    if (v instanceof Branch) {
      for (const { key, value } of v.items) {
        if (key instanceof Comment) leaf(key, path || '(top level)', 'comment');
        else visit(value, `${path}[${JSON.stringify(typeof key === 'string' ? key : String(key))}]`);
      }
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => (item instanceof Comment ? leaf(item, path, 'comment') : visit(item, `${path}[${i}]`)));
    } else {
      leaf(v, path, 'value');
    }
  };
  branches.forEach((b, i) => visit(b, branches.length > 1 ? `(document ${i + 1})` : ''));
  return out;
}

function renderValues(file: EncryptedFile): void {
  const values = storedValues(file.branches);
  const encrypted = values.filter((v) => v.encrypted).length;
  valuesSummary.textContent = `${encrypted} of ${values.length} values and comments are encrypted; the names of keys never are.`;
  valuesBody.replaceChildren(
    ...values.map((v) =>
      el(
        'tr',
        undefined,
        v.encrypted ? 'encrypted' : 'plaintext',
        el('td', undefined, undefined, el('code', v.path)),
        el('td', v.kind),
        el('td', undefined, undefined, el('span', v.encrypted ? `encrypted (${v.type})` : `plaintext (${v.type})`, v.encrypted ? 'pill pill-enc' : 'pill pill-plain')),
      ),
    ),
  );
}

/** The keyless part: metadata, recipients and the encrypted/plaintext table. */
async function inspect(): Promise<{ text: string; format: Format; how: string }> {
  const text = fileText.value;
  if (text.trim() === '') throw new Error('Paste or drop an encrypted file first.');
  const { format, how } = chosenFormat(text);
  const file = await loadEncrypted(text, format);
  renderKeyGroups(file.metadata);
  renderMetadata(file.metadata, format, how);
  renderValues(file);
  results.hidden = false;
  return { text, format, how };
}

function showPlaintext(out: string | Uint8Array): void {
  if (typeof out === 'string') {
    plaintextOut.textContent = out;
  } else {
    try {
      plaintextOut.textContent = new TextDecoder('utf-8', { fatal: true }).decode(out);
    } catch {
      // A binary file that is not text: show its bytes in hex.
      const hex = Array.from(out.subarray(0, 4096), (b) => b.toString(16).padStart(2, '0')).join(' ');
      plaintextOut.textContent = `(${out.length} bytes, not UTF-8 text; hex${out.length > 4096 ? ', first 4096 bytes' : ''})\n${hex}`;
    }
  }
  plaintextBox.hidden = false;
}

let busy = false;
async function run(withKey: boolean): Promise<void> {
  if (busy) return;
  busy = true;
  plaintextBox.hidden = true;
  plaintextOut.textContent = '';
  setStatus('info', withKey ? 'Decrypting…' : 'Reading…');
  try {
    const { text, format } = await inspect();
    if (!withKey) {
      setStatus('info', 'Not decrypted: showing what the file stores. The MAC can only be checked with a key.');
      return;
    }
    const doc = await decryptDocument(text, { format, ageIdentities: identities() });
    showPlaintext((await storeFor(format)).emitPlainFile(doc.branches));
    setStatus('ok', 'MAC verified: the file is as it was encrypted.');
  } catch (e) {
    showError(e);
  } finally {
    busy = false;
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void run(true);
});
inspectButton.addEventListener('click', () => void run(false));
document.documentElement.dataset.ready = 'true';
