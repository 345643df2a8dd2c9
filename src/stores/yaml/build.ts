/**
 * Tree → YAML nodes, as sops's YAML store builds them for emission
 * (`treeValueToNode`, `appendTreeBranch`, `appendSequence`, and go-yaml v3's
 * `Node.Encode`, which marshals a value and parses it back so the node keeps
 * the style go-yaml's marshaller chose).
 *
 * @module
 */
import { formatFloatYAML } from '../../gofmt.js';
import { Branch, Comment, SopsTime, type Key, type Value } from '../../tree.js';
import { newNode, Style, type YamlNode } from './node.js';
import { resolveTag } from './resolve.js';
import { selectBlockValueStyle } from './emitter.js';

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** go-yaml `isBase60Float`: YAML 1.1 sexagesimal numbers, quoted on output. */
function isBase60Float(s: string): boolean {
  if (s === '') return false;
  const c = s[0]!;
  if (!(c === '+' || c === '-' || (c >= '0' && c <= '9')) || !s.includes(':')) return false;
  return BASE60_FLOAT.test(s);
}

const OLD_BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** go-yaml `encodeBase64`: standard base64, in lines of 70 characters each ended by `\n` when longer than one line. */
function encodeBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  const b64 = btoa(bin);
  if (b64.length < 70) return b64;
  let out = '';
  for (let i = 0; i < b64.length; i += 70) out += b64.slice(i, i + 70) + '\n';
  return out;
}

/** A string scalar as `Node.Encode(s)` yields it (go-yaml `encoder.stringv`, then the emitter's style choice). */
function stringNode(s: string): YamlNode {
  // go-yaml resolves "<<" to !!merge only while parsing, so it marshals plain and comes back tagged.
  if (s === '<<') return newNode('scalar', { tag: '!!merge', value: s });
  const rtag = resolveTag(s);
  const canUsePlain = rtag === '!!str' && !(isBase60Float(s) || OLD_BOOLS.has(s));
  const requested = s.includes('\n') ? Style.Literal : canUsePlain ? 0 : Style.DoubleQuoted;
  // Read back, the emitted text is a `!!str` in every style (plain only when
  // `canUsePlain`, so when it resolves to `!!str`); 0 is the plain style.
  return newNode('scalar', { tag: '!!str', value: s, style: selectBlockValueStyle(s, requested) });
}

/** A scalar (or map key) as go-yaml v3's `Node.Encode(v)` builds it. */
export function scalarNode(v: Key | Value): YamlNode {
  if (v === null) return newNode('scalar', { tag: '!!null', value: 'null' });
  if (typeof v === 'string') return stringNode(v);
  if (v instanceof Uint8Array) {
    // sops keeps raw bytes as a Go string: valid UTF-8 is a normal string,
    // anything else is marshalled by go-yaml as !!binary base64.
    try {
      return stringNode(utf8Decoder.decode(v));
    } catch {
      return newNode('scalar', { tag: '!!binary', value: encodeBase64(v), style: Style.Tagged });
    }
  }
  if (typeof v === 'bigint') return newNode('scalar', { tag: '!!int', value: v.toString() });
  if (typeof v === 'number') {
    const text = formatFloatYAML(v);
    return newNode('scalar', { tag: resolveTag(text), value: text });
  }
  if (typeof v === 'boolean') return newNode('scalar', { tag: '!!bool', value: v ? 'true' : 'false' });
  if (v instanceof SopsTime) return newNode('scalar', { tag: resolveTag(v.rfc3339Nano), value: v.rfc3339Nano });
  if (v instanceof Comment) {
    // Not produced by sops; emit the text like a string.
    return stringNode(v.value);
  }
  throw new TypeError('unsupported value in tree');
}

function addHead(node: YamlNode, comments: string[]): void {
  if (comments.length > 0) {
    const c = '#' + comments.join('\n#');
    node.headComment = node.headComment.length > 0 ? c + '\n' + node.headComment : c;
  }
}
function addFoot(node: YamlNode, comments: string[]): void {
  if (comments.length > 0) {
    const c = '#' + comments.join('\n#');
    node.footComment = node.footComment.length > 0 ? node.footComment + '\n' + c : c;
  }
}
function addLine(node: YamlNode, comments: string[]): void {
  if (comments.length > 0) {
    const c = '#' + comments.join('\n#');
    node.lineComment = node.lineComment.length > 0 ? node.lineComment + '\n' + c : c;
  }
}

/** sops `treeValueToNode`. */
export function valueNode(v: Value): YamlNode {
  if (v instanceof Branch) {
    const m = newNode('mapping');
    appendTreeBranch(v, m);
    return m;
  }
  if (Array.isArray(v)) {
    const s = newNode('sequence');
    appendSequence(v, s);
    return s;
  }
  return scalarNode(v);
}

/**
 * sops `appendSequence`: comment items are buffered; non-inline ones become
 * the head comment of the next item (or of the sequence before its first
 * item), inline ones its line comment, and leftovers the foot comment of the
 * last item.
 */
function appendSequence(list: Value[], seq: YamlNode): void {
  let head: string[] = [];
  let inline: string[] = [];
  let beginning = true;
  for (const item of list) {
    if (item instanceof Comment) {
      (item.inline ? inline : head).push(item.value);
      continue;
    }
    if (beginning) {
      addHead(seq, head);
      head = [];
      beginning = false;
    }
    const n = valueNode(item);
    addHead(n, head);
    head = [];
    addLine(n, inline);
    inline = [];
    seq.content.push(n);
  }
  head = head.concat(inline);
  if (head.length > 0) {
    if (beginning) addHead(seq, head);
    else addFoot(seq.content[seq.content.length - 1]!, head);
  }
}

/** sops `appendTreeBranch`: as {@link appendSequence}, with head comments on keys and line comments on values. */
export function appendTreeBranch(branch: Branch, mapping: YamlNode): void {
  let head: string[] = [];
  let inline: string[] = [];
  let beginning = true;
  for (const item of branch.items) {
    if (item.key instanceof Comment) {
      (item.key.inline ? inline : head).push(item.key.value);
      continue;
    }
    if (beginning) {
      addHead(mapping, head);
      head = [];
      beginning = false;
    }
    const k = scalarNode(item.key);
    addHead(k, head);
    head = [];
    const v = valueNode(item.value);
    addLine(v, inline);
    inline = [];
    mapping.content.push(k, v);
  }
  head = head.concat(inline);
  if (head.length > 0) {
    if (beginning) addHead(mapping, head);
    else addFoot(mapping.content[mapping.content.length - 2]!, head);
  }
}
