/**
 * A token scanner with go-yaml v3's token positions and comment capture.
 *
 * sops reads comments from the Head/Line/Foot fields go-yaml v3 fills in, and
 * go-yaml decides those fields in its scanner: while skipping whitespace
 * between tokens it collects comment blocks, splits them into "foot of the
 * previous token" and "head of the next token" by blank lines and
 * indentation, and moves block-end tokens before comments of the enclosing
 * level. The result depends on exact token marks (index, line, column), so
 * this scanner reproduces the libyaml/go-yaml token stream: indentation
 * stack, simple keys, BLOCK-END placement, and the positions where each
 * scalar scan stops. Scalar values are decoded while scanning, as libyaml
 * does (YAML 1.1 rules: NEL, LS and PS are line breaks; LS and PS are kept
 * in the value rather than folded).
 *
 * @module
 */

import { Style } from './node.js';

/** A position, 0-based (as libyaml marks). */
export interface Mark {
  index: number;
  line: number;
  column: number;
}

/**
 * Token types, named as libyaml's (`YAML_<NAME>_TOKEN`). A `const enum`:
 * bundlers inline the numbers, which keeps the browser bundle small.
 */
export const enum TokenType {
  STREAM_START,
  STREAM_END,
  VERSION_DIRECTIVE,
  TAG_DIRECTIVE,
  DOCUMENT_START,
  DOCUMENT_END,
  BLOCK_SEQUENCE_START,
  BLOCK_MAPPING_START,
  BLOCK_END,
  FLOW_SEQUENCE_START,
  FLOW_SEQUENCE_END,
  FLOW_MAPPING_START,
  FLOW_MAPPING_END,
  BLOCK_ENTRY,
  FLOW_ENTRY,
  KEY,
  VALUE,
  ALIAS,
  ANCHOR,
  TAG,
  SCALAR,
}

export interface Token {
  type: TokenType;
  start: Mark;
  end: Mark;
  /** Anchor/alias name, tag handle, `%TAG` handle, or a scalar's decoded value. */
  value: string;
  /** TAG: the tag suffix (`value` holds the handle); TAG_DIRECTIVE: the prefix (`value` holds the handle). */
  suffix?: string;
  /** VERSION_DIRECTIVE: the version numbers. */
  major?: number;
  minor?: number;
  /** SCALAR: its style, as the flag go-yaml v3 sets on its node (0 for a plain scalar). */
  style?: ScalarStyle;
}

/** A scalar's style as a token gives it: 0 (plain) or one of go-yaml's {@link Style} flags. */
export type ScalarStyle = 0 | Style.SingleQuoted | Style.DoubleQuoted | Style.Literal | Style.Folded;

/** A comment block as go-yaml's scanner queues it. */
export interface CommentBlock {
  scanMark: Mark;
  tokenMark: Mark;
  startMark: Mark;
  endMark: Mark;
  head: string;
  line: string;
  foot: string;
}

interface SimpleKey {
  possible: boolean;
  required: boolean;
  tokenNumber: number;
  mark: Mark;
}

/**
 * A libyaml-style error: what was being done (`context`, with the mark where
 * it started) and what went wrong (`problem`, with the mark where it was
 * found). go-yaml prints only the problem; the line it prints is derived from
 * both marks (see `formatYamlError` in `compose.ts`). Never carries input text.
 */
export class YamlMarkedError extends Error {
  override name = 'YamlMarkedError';
  constructor(
    /** libyaml's error type: scanner errors print their line 1-based, parser errors 0-based. */
    readonly kind: 'scanner' | 'parser',
    readonly context: string,
    readonly contextMark: Mark,
    readonly problem: string,
    readonly problemMark: Mark,
  ) {
    super(problem);
    this.contextMark = { ...contextMark };
    this.problemMark = { ...problemMark };
  }
}

/** Scanner failures (libyaml `yaml_parser_set_scanner_error`): the problem mark is where the scanner stands. */
export class ScanError extends YamlMarkedError {
  override name = 'ScanError';
  constructor(context: string, contextMark: Mark, problem: string, problemMark: Mark) {
    super('scanner', context, contextMark, problem, problemMark);
  }
}

/** Reader failures (libyaml `yaml_parser_set_reader_error`): bad encoding or characters. go-yaml prints no position. */
export class ReaderError extends Error {
  override name = 'ReaderError';
  constructor(
    readonly problem: string,
    /** Byte offset of the offending input. */
    readonly offset: number,
  ) {
    super(problem);
  }
}

/** The decoded input as go-yaml's reader sees it. */
export interface ReaderInput {
  /** The characters the reader decodes before failing (all of them without error); one leading BOM removed. */
  text: string;
  /** The reader failure, raised once the scanner needs a character at or past `text.length`. */
  error?: ReaderError;
}

/** go-yaml's raw read size: a `bytes.Reader` fills its 512-byte raw buffer per read. */
const RAW_CHUNK = 512;

/** U+FFFD, or a character outside {@link allowedChar}'s set (in text where surrogates only come in pairs). */
const SUSPECT_CHAR = /[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffc\ud800-\udfff]/;

const allowedChar = (v: number): boolean =>
  v === 0x09 ||
  v === 0x0a ||
  v === 0x0d ||
  (v >= 0x20 && v <= 0x7e) ||
  v === 0x85 ||
  (v >= 0xa0 && v <= 0xd7ff) ||
  (v >= 0xe000 && v <= 0xfffd) ||
  (v >= 0x10000 && v <= 0x10ffff);

/**
 * go-yaml's reader (`readerc.go`) over UTF-8 input: one leading BOM is
 * dropped, bad UTF-8 and characters outside YAML's printable set fail. The
 * reader decodes 512-byte chunks as the scanner asks for more characters, so
 * a failure in a chunk only surfaces once the scanner reads past the
 * characters of the chunks before it ({@link ReaderInput.text} ends there).
 * UTF-16 input (a UTF-16 BOM) is not supported and fails as invalid UTF-8.
 */
export function readInput(data: string | Uint8Array): ReaderInput {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const begin = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let pos = begin;
  const n = bytes.length;
  // The loop only validates (as libyaml's reader does, chunk by chunk); the
  // text is decoded once at the end, from byte offsets: building it a
  // character at a time made large files slow and garbage-heavy.
  const decode = (end: number) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(begin, end));
  // The common case, natively: the decoder turns bad UTF-8 (encoded
  // surrogates included) into U+FFFD, so text without U+FFFD or a character
  // the reader refuses was valid, and its surrogates are pairs (characters
  // above U+FFFF). Otherwise (a real U+FFFD too) the loop finds what, where.
  const text = decode(n);
  if (!SUSPECT_CHAR.test(text)) return { text };
  // Byte offset where the characters of complete chunks before the current one end.
  let chunkTextEnd = begin;
  let chunkEnd = RAW_CHUNK;
  const fail = (problem: string, offset: number, atEof = false): ReaderInput => {
    // An incomplete sequence at the end is reported when the reader hits EOF,
    // after every complete character; other failures when their chunk is decoded.
    return { text: decode(atEof ? pos : chunkTextEnd), error: new ReaderError(problem, offset) };
  };
  while (pos < n) {
    const start = pos;
    const octet = bytes[pos]!;
    let width: number;
    if ((octet & 0x80) === 0) width = 1;
    else if ((octet & 0xe0) === 0xc0) width = 2;
    else if ((octet & 0xf0) === 0xe0) width = 3;
    else if ((octet & 0xf8) === 0xf0) width = 4;
    else return fail('invalid leading UTF-8 octet', pos);
    if (pos + width > n) return fail('incomplete UTF-8 octet sequence', pos, true);
    // A character straddling a chunk boundary is decoded with the later chunk.
    while (pos + width > chunkEnd) {
      chunkTextEnd = pos;
      chunkEnd += RAW_CHUNK;
    }
    let value = width === 1 ? octet & 0x7f : width === 2 ? octet & 0x1f : width === 3 ? octet & 0x0f : octet & 0x07;
    for (let k = 1; k < width; k++) {
      const o = bytes[pos + k]!;
      if ((o & 0xc0) !== 0x80) return fail('invalid trailing UTF-8 octet', pos + k);
      value = (value << 6) + (o & 0x3f);
    }
    if (!(width === 1 || (width === 2 && value >= 0x80) || (width === 3 && value >= 0x800) || (width === 4 && value >= 0x10000))) {
      return fail('invalid length of a UTF-8 sequence', start);
    }
    if ((value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) return fail('invalid Unicode character', start);
    if (!allowedChar(value)) return fail('control characters are not allowed', start);
    pos += width;
    if (pos === chunkEnd) {
      chunkTextEnd = pos;
      chunkEnd += RAW_CHUNK;
    }
  }
  return { text };
}

const isBreakCh = (c: string | undefined): boolean =>
  c === '\r' || c === '\n' || c === '\u0085' || c === '\u2028' || c === '\u2029';
/** NEL, LS, PS: line breaks of more than one UTF-8 byte. */
const isWideBreak = (c: string | undefined): boolean => c === '\u0085' || c === '\u2028' || c === '\u2029';
const isBlankCh = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isZ = (c: string | undefined): boolean => c === undefined || c === '\0';
const isBreakZ = (c: string | undefined): boolean => isBreakCh(c) || isZ(c);
const isBlankZ = (c: string | undefined): boolean => isBlankCh(c) || isBreakZ(c);
const isAlpha = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Za-z_-]$/.test(c);
const URI_CHARS = /^[;/?:@&=+$,.!~*'()[\]%]$/;
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

/**
 * The scanner. Tokens are numbered from the stream start, as go-yaml's queue
 * positions; `#tokensParsed` counts those the parser has consumed (go-yaml's
 * queue head). `#tokens` holds the tokens from number `#tokensBase` on:
 * consumed ones are dropped from time to time, keeping the last two (their
 * types and marks decide where comments go), so that a large document's
 * tokens die young. Members
 * used only here are `#private`, as in the parser and emitter: minifiers
 * shorten those names (and no other property names), which keeps the
 * browser bundle small.
 */
export class Scanner {
  readonly #tokens: Token[] = [];
  #tokensBase = 0;
  readonly comments: CommentBlock[] = [];
  #tokensParsed = 0;
  #tokenAvailable = false;
  #streamStartProduced = false;

  readonly #s: string;
  readonly #readerError: ReaderError | undefined;
  /** libyaml's `is_bom` looks at the start of its buffer, not at the current character. */
  readonly #bufferStartsWithBom: boolean;
  #pos = 0;
  #mark: Mark = { index: 0, line: 0, column: 0 };
  #lastMark: Mark = { index: 0, line: 0, column: 0 };
  #newlines = 0;
  #indent = -1;
  #indents: number[] = [];
  #flowLevel = 0;
  #simpleKeyAllowed = false;
  #simpleKeys: SimpleKey[] = [];
  #simpleKeysByTok = new Map<number, number>();
  /** Line breaks of empty lines read by `#blockScalarBreaks` (libyaml's `trailing_breaks`). */
  #breaks = '';

  /** `src`: the text after go-yaml's reader (see {@link readInput}); `readerError` fires when reading past it. */
  constructor(src: string, readerError?: ReaderError) {
    this.#s = src;
    this.#readerError = readerError;
    this.#bufferStartsWithBom = src.startsWith('\ufeff');
  }

  // ---- character access

  #ch(k = 0): string | undefined {
    const i = this.#pos + k;
    if (i >= this.#s.length && this.#readerError) throw this.#readerError;
    return this.#s[i];
  }

  /** At (or `k` characters before) the end of the input; reading past a reader failure raises it. */
  #eof(k = 0): boolean {
    if (this.#pos + k < this.#s.length) return false;
    if (this.#readerError) throw this.#readerError;
    return true;
  }

  #scanError(context: string, contextMark: Mark, problem: string): ScanError {
    return new ScanError(context, contextMark, problem, this.#mark);
  }

  /**
   * A snapshot of the current position. Marks other than `#mark` are never
   * changed once taken, so tokens, simple keys and comments share them, and
   * a snapshot of an unchanged position is the previous one.
   */
  #curMark(): Mark {
    const m = this.#lastMark;
    if (m.index === this.#mark.index && m.line === this.#mark.line && m.column === this.#mark.column) return m;
    return (this.#lastMark = { ...this.#mark });
  }

  /** At `---` or `...` at the start of a line, followed by a blank, a break or the end (`c`: the current character). */
  #atDocumentIndicator(c: string | undefined): boolean {
    return this.#mark.column === 0 && (c === '-' || c === '.') && this.#ch(1) === c && this.#ch(2) === c && isBlankZ(this.#ch(3));
  }

  /** libyaml `skip`: one character. */
  #skip(): void {
    if (!isBlankCh(this.#ch())) this.#newlines = 0;
    const c = this.#s.codePointAt(this.#pos)!;
    const w = c > 0xffff ? 2 : 1;
    this.#pos += w;
    this.#mark.index += w;
    this.#mark.column++;
  }

  /**
   * Skip the run of characters `run` (a sticky regex of characters of one
   * UTF-16 unit, no breaks; either all blanks or none) matches here: `#skip`
   * for each, at once. Returns whether it skipped anything. The fast path
   * for long runs of ordinary text (plain scalars, comment and block scalar
   * lines) and indentation.
   */
  #skipRun(run: RegExp): boolean {
    run.lastIndex = this.#pos;
    if (!run.test(this.#s)) return false;
    const n = run.lastIndex - this.#pos;
    this.#pos += n;
    this.#mark.index += n;
    this.#mark.column += n;
    // As `#skip`: a character other than a blank (all are above U+0020 then) ends a count of line breaks.
    if (this.#s.charCodeAt(this.#pos - 1) > 0x20) this.#newlines = 0;
    return true;
  }

  /** `#skip` up to the next line break or the end (libyaml's `while (!IS_BREAKZ) SKIP`). */
  #skipToBreak(): void {
    for (;;) {
      this.#skipRun(LINE_RUN);
      if (isBreakZ(this.#ch())) return;
      this.#skip();
    }
  }

  /** Skip spaces and tabs. */
  #skipBlanks(): void {
    while (isBlankCh(this.#ch())) this.#skip();
  }

  /**
   * libyaml `skip_line`, and `read_line` (which moves the same way): one
   * line break; CRLF is two characters of one break.
   */
  #skipLine(): void {
    let w: number;
    if (this.#ch() === '\r' && this.#ch(1) === '\n') w = 2;
    else if (isBreakCh(this.#ch())) w = 1;
    else return;
    this.#pos += w;
    this.#mark.index += w;
    this.#mark.column = 0;
    this.#mark.line++;
    this.#newlines++;
  }

  // ---- queue

  /**
   * Queue a token: at the end (`pos` -1) or at absolute token number `pos`.
   * go-yaml inserts at `pos - tokens_parsed` and appends when that is
   * negative: a KEY (and BLOCK-MAPPING-START) for a simple key the parser has
   * already consumed (`{}a: b`, whose `{` stays a possible key after `}`)
   * lands after the tokens queued so far, not in the past.
   */
  #insertToken(pos: number, token: Token): void {
    if (pos < this.#tokensParsed) this.#tokens.push(token);
    else this.#tokens.splice(pos - this.#tokensBase, 0, token);
  }

  /** The token at the parser's head, fetching as go-yaml does (two tokens of lookahead, more while a simple key is pending). */
  peek(): Token {
    if (!this.#tokenAvailable) this.#fetchMoreTokens();
    return this.#tokens[this.#tokensParsed - this.#tokensBase]!;
  }

  /** Consume the head token. */
  skipToken(): void {
    this.#tokenAvailable = false;
    this.#tokensParsed++;
    const drop = this.#tokensParsed - this.#tokensBase - 2;
    if (drop >= 256) {
      this.#tokens.splice(0, drop);
      this.#tokensBase += drop;
    }
  }

  /** The number of tokens queued so far (consumed or not). */
  #tokenCount(): number {
    return this.#tokensBase + this.#tokens.length;
  }

  #fetchMoreTokens(): void {
    for (;;) {
      if (this.#tokensParsed < this.#tokenCount() - 2) {
        const idx = this.#simpleKeysByTok.get(this.#tokensParsed);
        if (idx === undefined) break;
        if (!this.#simpleKeyIsValid(this.#simpleKeys[idx]!)) break;
      }
      this.#fetchNextToken();
    }
    this.#tokenAvailable = true;
  }

  #simpleKeyIsValid(k: SimpleKey): boolean {
    if (!k.possible) return false;
    if (k.mark.line < this.#mark.line || k.mark.index + 1024 < this.#mark.index) {
      if (k.required) throw this.#scanError('while scanning a simple key', k.mark, "could not find expected ':'");
      k.possible = false;
      return false;
    }
    return true;
  }

  #fetchNextToken(): void {
    if (!this.#streamStartProduced) {
      this.#indent = -1;
      this.#simpleKeys.push({ possible: false, required: false, tokenNumber: 0, mark: this.#curMark() });
      this.#simpleKeyAllowed = true;
      this.#streamStartProduced = true;
      this.#insertToken(-1, { type: TokenType.STREAM_START, start: this.#curMark(), end: this.#curMark(), value: '' });
      return;
    }
    const scanMark = this.#curMark();
    this.#scanToNextToken();
    this.#unrollIndent(this.#mark.column, scanMark);

    const c = this.#ch();
    if (isZ(c) && this.#eof()) return this.#fetchStreamEnd();
    if (this.#mark.column === 0 && c === '%') return this.#fetchDirective();
    if (this.#atDocumentIndicator(c)) {
      return this.#fetchDocumentIndicator(c === '-' ? TokenType.DOCUMENT_START : TokenType.DOCUMENT_END);
    }

    let commentMark = this.#curMark();
    if (this.#tokens.length > 0 && ((this.#flowLevel === 0 && c === ':') || (this.#flowLevel > 0 && c === ','))) {
      // go-yaml: associate following comments with the prior token.
      commentMark = this.#tokens[this.#tokens.length - 1]!.start;
    }

    this.#fetchToken(c);

    if (this.#tokens.length > 0 && this.#tokens[this.#tokens.length - 1]!.type === TokenType.BLOCK_ENTRY) {
      // Sequence indicators alone have no line comments; it becomes a head comment for what follows.
      return;
    }
    this.#scanLineComment(commentMark);
  }

  #fetchToken(c: string | undefined): void {
    const n = this.#ch(1);
    switch (c) {
      case '[':
        return this.#fetchFlowCollectionStart(TokenType.FLOW_SEQUENCE_START);
      case '{':
        return this.#fetchFlowCollectionStart(TokenType.FLOW_MAPPING_START);
      case ']':
        return this.#fetchFlowCollectionEnd(TokenType.FLOW_SEQUENCE_END);
      case '}':
        return this.#fetchFlowCollectionEnd(TokenType.FLOW_MAPPING_END);
      case ',':
        return this.#fetchFlowEntry();
      default:
        break;
    }
    if (c === '-' && isBlankZ(n)) return this.#fetchBlockEntry();
    if (c === '?' && (this.#flowLevel > 0 || isBlankZ(n))) return this.#fetchKey();
    if (c === ':' && (this.#flowLevel > 0 || isBlankZ(n))) return this.#fetchValue();
    if (c === '*') return this.#fetchAnchor(TokenType.ALIAS);
    if (c === '&') return this.#fetchAnchor(TokenType.ANCHOR);
    if (c === '!') return this.#fetchTag();
    if (c === '|' && this.#flowLevel === 0) return this.#fetchBlockScalar(true);
    if (c === '>' && this.#flowLevel === 0) return this.#fetchBlockScalar(false);
    if (c === "'") return this.#fetchFlowScalar(true);
    if (c === '"') return this.#fetchFlowScalar(false);
    if (
      !(isBlankZ(c) || (c !== undefined && '-?:,[]{}#&*!|>\'"%@`'.includes(c))) ||
      (c === '-' && !isBlankCh(n)) ||
      (this.#flowLevel === 0 && (c === '?' || c === ':') && !isBlankZ(n))
    ) {
      return this.#fetchPlainScalar();
    }
    throw this.#scanError('while scanning for the next token', this.#mark, 'found character that cannot start any token');
  }

  // ---- simple keys, indentation

  #saveSimpleKey(): void {
    const required = this.#flowLevel === 0 && this.#indent === this.#mark.column;
    if (this.#simpleKeyAllowed) {
      const key: SimpleKey = { possible: true, required, tokenNumber: this.#tokenCount(), mark: this.#curMark() };
      this.#removeSimpleKey();
      this.#simpleKeys[this.#simpleKeys.length - 1] = key;
      this.#simpleKeysByTok.set(key.tokenNumber, this.#simpleKeys.length - 1);
    }
  }

  #removeSimpleKey(): void {
    const k = this.#simpleKeys[this.#simpleKeys.length - 1]!;
    if (k.possible) {
      if (k.required) throw this.#scanError('while scanning a simple key', k.mark, "could not find expected ':'");
      k.possible = false;
      this.#simpleKeysByTok.delete(k.tokenNumber);
    }
  }

  #increaseFlowLevel(): void {
    this.#simpleKeys.push({ possible: false, required: false, tokenNumber: this.#tokenCount(), mark: this.#curMark() });
    this.#flowLevel++;
    if (this.#flowLevel > 10000) {
      throw this.#scanError('while increasing flow level', this.#simpleKeys[this.#simpleKeys.length - 1]!.mark, 'exceeded max depth of 10000');
    }
  }

  #decreaseFlowLevel(): void {
    if (this.#flowLevel > 0) {
      this.#flowLevel--;
      const k = this.#simpleKeys.pop()!;
      this.#simpleKeysByTok.delete(k.tokenNumber);
    }
  }

  #rollIndent(column: number, number: number, type: TokenType, mark: Mark): void {
    if (this.#flowLevel > 0) return;
    if (this.#indent < column) {
      this.#indents.push(this.#indent);
      this.#indent = column;
      if (this.#indents.length > 10000) {
        throw this.#scanError('while increasing indent level', this.#simpleKeys[this.#simpleKeys.length - 1]!.mark, 'exceeded max depth of 10000');
      }
      this.#insertToken(number, { type, start: mark, end: mark, value: '' });
    }
  }

  /**
   * Pop indentation levels above `column`, appending BLOCK-END tokens. go-yaml
   * places each BLOCK-END before the comments (seen since `scanMark`) that
   * start at the column of the block being closed, so they become foot
   * comments of that block rather than heads of what follows.
   */
  #unrollIndent(column: number, scanMark: Mark): void {
    if (this.#flowLevel > 0 || this.#indent <= column) return;
    let blockMark: Mark = { ...scanMark, index: scanMark.index - 1 };
    while (this.#indent > column) {
      let stopIndex = blockMark.index;
      for (let i = this.comments.length - 1; i >= 0; i--) {
        const c = this.comments[i]!;
        if (c.endMark.index < stopIndex) break;
        if (c.startMark.column === this.#indent + 1) blockMark = c.startMark;
        stopIndex = c.scanMark.index;
      }
      this.#insertToken(-1, { type: TokenType.BLOCK_END, start: blockMark, end: blockMark, value: '' });
      this.#indent = this.#indents.pop()!;
    }
  }

  // ---- whitespace and comments

  #scanToNextToken(): void {
    const scanMark = this.#curMark();
    for (;;) {
      if (this.#mark.column === 0 && this.#bufferStartsWithBom && !this.#eof()) this.#skip();
      this.#skipRun(SPACES_RUN);
      while (this.#ch() === ' ' || ((this.#flowLevel > 0 || !this.#simpleKeyAllowed) && this.#ch() === '\t')) this.#skip();

      // go-yaml: a line comment right after "- " that is followed by more
      // content on the next lines becomes a head comment.
      if (this.comments.length > 0 && this.#tokens.length > 1) {
        const a = this.#tokens[this.#tokens.length - 2]!;
        const b = this.#tokens[this.#tokens.length - 1]!;
        const comment = this.comments[this.comments.length - 1]!;
        if (a.type === TokenType.BLOCK_SEQUENCE_START && b.type === TokenType.BLOCK_ENTRY && comment.line.length > 0 && !isBreakCh(this.#ch())) {
          comment.head = comment.line;
          comment.line = '';
          if (comment.startMark.line === this.#mark.line - 1) comment.tokenMark = this.#curMark();
        }
      }

      if (this.#ch() === '#') this.#scanComments(scanMark);

      if (isBreakCh(this.#ch())) {
        this.#skipLine();
        if (this.#flowLevel === 0) this.#simpleKeyAllowed = true;
      } else {
        break;
      }
    }
  }

  /** go-yaml `yaml_parser_scan_line_comment`: a comment on the rest of the current line. */
  #scanLineComment(tokenMark: Mark): void {
    if (this.#newlines > 0) return;
    let peek = 0;
    while (isBlankCh(this.#ch(peek))) peek++;
    if (this.#ch(peek) !== '#') return;
    while (!this.#eof() && peek > 0) {
      this.#skip();
      peek--;
    }
    const start = this.#curMark();
    const from = this.#pos;
    this.#skipToBreak();
    const text = this.#sliceFrom(from);
    if (text.length > 0) {
      this.comments.push({ scanMark: start, tokenMark, startMark: start, endMark: start, head: '', line: text, foot: '' });
    }
  }

  #readChar(): string {
    const c = this.#s.codePointAt(this.#pos)!;
    const ch = String.fromCodePoint(c);
    this.#skip();
    return ch;
  }

  /**
   * go-yaml `yaml_parser_scan_comments`: the comment lines starting here, split
   * into foot comments of the previous token and a head comment for the next.
   */
  #scanComments(scanMarkIn: Mark): void {
    let scanMark = scanMarkIn;
    let token = this.#tokens[this.#tokens.length - 1]!;
    if (token.type === TokenType.FLOW_ENTRY && this.#tokens.length > 1) token = this.#tokens[this.#tokens.length - 2]!;
    let tokenMark = token.start;
    let startMark: Mark = { index: 0, line: 0, column: 0 };
    let nextIndent = Math.max(this.#indent, 0);
    let recentEmpty = false;
    let firstEmpty = this.#newlines <= 1;
    let line = this.#mark.line;
    let column = this.#mark.column;
    let text = '';
    let footLine = -1;
    if (scanMark.line > 0) {
      footLine = this.#mark.line - this.#newlines + 1;
      if (this.#newlines === 0 && this.#mark.column > 1) footLine++;
    }
    let peek = 0;
    // go-yaml peeks ahead byte by byte. A NEL, LS or PS line break is two or
    // three bytes: when the peek lands on its second byte (the byte after a
    // break it just read, or the first byte after a comment line, whose
    // break it steps over with `peek++`), that continuation byte ends the
    // scan as any non-comment character would. `wideBreak` stands for it.
    let wideBreak = false;
    for (; peek < 512; peek++) {
      // Past the end of input, libyaml's buffer holds NULs.
      const c = wideBreak ? '\x80' : (this.#ch(peek) ?? '\0');
      wideBreak = false;
      column++;
      if (isBlankCh(c)) continue;
      const closeFlow = this.#flowLevel > 0 && (c === ']' || c === '}');
      if (closeFlow || isBreakZ(c)) {
        if (closeFlow || !recentEmpty) {
          if (closeFlow || (firstEmpty && ((startMark.line === footLine && token.type !== TokenType.VALUE) || startMark.column - 1 < nextIndent))) {
            if (text.length > 0) {
              if (startMark.column - 1 < nextIndent) tokenMark = startMark;
              const end = { index: this.#mark.index + peek, line, column };
              this.comments.push({ scanMark, tokenMark, startMark, endMark: end, head: '', line: '', foot: text });
              scanMark = end;
              tokenMark = end;
              text = '';
            }
          } else if (text.length > 0 && c !== '\0') {
            text += '\n';
          }
        }
        if (!isBreakCh(c)) break;
        wideBreak = isWideBreak(c);
        firstEmpty = false;
        recentEmpty = true;
        column = 0;
        line++;
        continue;
      }
      if (text.length > 0 && (closeFlow || (column - 1 < nextIndent && column !== startMark.column))) {
        const end = { index: this.#mark.index + peek, line, column };
        this.comments.push({ scanMark, tokenMark, startMark, endMark: end, head: '', line: '', foot: text });
        scanMark = end;
        tokenMark = end;
        text = '';
      }
      if (c !== '#') break;
      if (text.length === 0) startMark = { index: this.#mark.index + peek, line, column };
      else text += '\n';
      recentEmpty = false;
      // Consume up to and including the comment line's text.
      const seen = this.#mark.index + peek;
      for (;;) {
        if (this.#eof()) break;
        const d = this.#ch();
        if (isBreakZ(d)) {
          if (this.#mark.index >= seen) break;
          this.#skipLine();
        } else if (this.#mark.index >= seen) {
          text += this.#readChar();
        } else {
          this.#skip();
        }
      }
      peek = 0;
      wideBreak = isWideBreak(this.#ch());
      column = 0;
      line = this.#mark.line;
      nextIndent = Math.max(this.#indent, 0);
    }
    if (text.length > 0) {
      const end = { index: this.#mark.index + peek - 1, line, column };
      this.comments.push({ scanMark, tokenMark: startMark, startMark, endMark: end, head: text, line: '', foot: '' });
    }
  }

  // ---- token fetchers

  #fetchStreamEnd(): void {
    if (this.#mark.column !== 0) {
      this.#mark.column = 0;
      this.#mark.line++;
    }
    this.#unrollIndent(-1, this.#curMark());
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = false;
    this.#insertToken(-1, { type: TokenType.STREAM_END, start: this.#curMark(), end: this.#curMark(), value: '' });
  }

  /** libyaml `yaml_parser_scan_directive`. */
  #fetchDirective(): void {
    this.#unrollIndent(-1, this.#curMark());
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = false;
    const start = this.#curMark();
    this.#skip();
    let name = '';
    while (isAlpha(this.#ch())) name += this.#readChar();
    if (name.length === 0) throw this.#scanError('while scanning a directive', start, 'could not find expected directive name');
    if (!isBlankZ(this.#ch())) throw this.#scanError('while scanning a directive', start, 'found unexpected non-alphabetical character');
    let token: Token;
    if (name === 'YAML') {
      this.#skipBlanks();
      const major = this.#versionNumber(start);
      if (this.#ch() !== '.') throw this.#scanError('while scanning a %YAML directive', start, "did not find expected digit or '.' character");
      this.#skip();
      const minor = this.#versionNumber(start);
      token = { type: TokenType.VERSION_DIRECTIVE, start, end: this.#curMark(), value: '', major, minor };
    } else if (name === 'TAG') {
      this.#skipBlanks();
      const handle = this.#tagHandle(true, start);
      if (!isBlankCh(this.#ch())) throw this.#scanError('while scanning a %TAG directive', start, 'did not find expected whitespace');
      this.#skipBlanks();
      const prefix = this.#tagUri(true, '', start);
      if (!isBlankZ(this.#ch())) throw this.#scanError('while scanning a %TAG directive', start, 'did not find expected whitespace or line break');
      token = { type: TokenType.TAG_DIRECTIVE, start, end: this.#curMark(), value: handle, suffix: prefix };
    } else {
      throw this.#scanError('while scanning a directive', start, 'found unknown directive name');
    }
    // go-yaml discards comments on directive lines.
    this.#skipBlanks();
    if (this.#ch() === '#') this.#skipToBreak();
    if (!isBreakZ(this.#ch())) throw this.#scanError('while scanning a directive', start, 'did not find expected comment or line break');
    if (isBreakCh(this.#ch())) this.#skipLine();
    this.#insertToken(-1, token);
  }

  #versionNumber(start: Mark): number {
    let value = 0;
    let length = 0;
    for (let c = this.#ch(); c !== undefined && c >= '0' && c <= '9'; c = this.#ch()) {
      if (++length > 2) throw this.#scanError('while scanning a %YAML directive', start, 'found extremely long version number');
      value = value * 10 + Number(c);
      this.#skip();
    }
    if (length === 0) throw this.#scanError('while scanning a %YAML directive', start, 'did not find expected version number');
    return value;
  }

  #tagError(directive: boolean, start: Mark, problem: string): ScanError {
    return this.#scanError(directive ? 'while parsing a %TAG directive' : 'while parsing a tag', start, problem);
  }

  /** libyaml `yaml_parser_scan_tag_handle`. */
  #tagHandle(directive: boolean, start: Mark): string {
    if (this.#ch() !== '!') throw this.#tagError(directive, start, "did not find expected '!'");
    let s = this.#readChar();
    while (isAlpha(this.#ch())) s += this.#readChar();
    if (this.#ch() === '!') s += this.#readChar();
    else if (directive && s !== '!') throw this.#tagError(directive, start, "did not find expected '!'");
    return s;
  }

  /** libyaml `yaml_parser_scan_tag_uri`: URI characters, `%xx` escapes decoded (as UTF-8). */
  #tagUri(directive: boolean, head: string, start: Mark): string {
    const bytes: number[] = [...new TextEncoder().encode(head.slice(1))];
    let hasTag = head.length > 0;
    for (let c = this.#ch(); c !== undefined && (isAlpha(c) || URI_CHARS.test(c)); c = this.#ch()) {
      if (c === '%') {
        let w = 1024;
        while (w > 0) {
          const h1 = this.#ch(1);
          const h2 = this.#ch(2);
          if (!(this.#ch() === '%' && isHex(h1) && isHex(h2))) throw this.#tagError(directive, start, 'did not find URI escaped octet');
          const octet = parseInt(h1! + h2!, 16);
          if (w === 1024) {
            w = (octet & 0x80) === 0 ? 1 : (octet & 0xe0) === 0xc0 ? 2 : (octet & 0xf0) === 0xe0 ? 3 : (octet & 0xf8) === 0xf0 ? 4 : 0;
            if (w === 0) throw this.#tagError(directive, start, 'found an incorrect leading UTF-8 octet');
          } else if ((octet & 0xc0) !== 0x80) {
            throw this.#tagError(directive, start, 'found an incorrect trailing UTF-8 octet');
          }
          bytes.push(octet);
          this.#skip();
          this.#skip();
          this.#skip();
          w--;
        }
      } else {
        bytes.push(...new TextEncoder().encode(this.#readChar()));
      }
      hasTag = true;
    }
    if (!hasTag) throw this.#tagError(directive, start, 'did not find expected tag URI');
    return new TextDecoder().decode(new Uint8Array(bytes));
  }

  #fetchDocumentIndicator(type: TokenType): void {
    this.#unrollIndent(-1, this.#curMark());
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = false;
    const start = this.#curMark();
    this.#skip();
    this.#skip();
    this.#skip();
    this.#insertToken(-1, { type, start, end: this.#curMark(), value: '' });
  }

  /** Queue the token of the one-character indicator at the current position. */
  #fetchIndicator(type: TokenType): void {
    const start = this.#curMark();
    this.#skip();
    this.#insertToken(-1, { type, start, end: this.#curMark(), value: '' });
  }

  #fetchFlowCollectionStart(type: TokenType): void {
    this.#saveSimpleKey();
    this.#increaseFlowLevel();
    this.#simpleKeyAllowed = true;
    this.#fetchIndicator(type);
  }

  #fetchFlowCollectionEnd(type: TokenType): void {
    this.#removeSimpleKey();
    this.#decreaseFlowLevel();
    this.#simpleKeyAllowed = false;
    this.#fetchIndicator(type);
  }

  #fetchFlowEntry(): void {
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = true;
    this.#fetchIndicator(TokenType.FLOW_ENTRY);
  }

  #fetchBlockEntry(): void {
    if (this.#flowLevel === 0) {
      if (!this.#simpleKeyAllowed) throw this.#scanError('', this.#mark, 'block sequence entries are not allowed in this context');
      this.#rollIndent(this.#mark.column, -1, TokenType.BLOCK_SEQUENCE_START, this.#curMark());
    }
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = true;
    this.#fetchIndicator(TokenType.BLOCK_ENTRY);
  }

  #fetchKey(): void {
    if (this.#flowLevel === 0) {
      if (!this.#simpleKeyAllowed) throw this.#scanError('', this.#mark, 'mapping keys are not allowed in this context');
      this.#rollIndent(this.#mark.column, -1, TokenType.BLOCK_MAPPING_START, this.#curMark());
    }
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = this.#flowLevel === 0;
    this.#fetchIndicator(TokenType.KEY);
  }

  #fetchValue(): void {
    const k = this.#simpleKeys[this.#simpleKeys.length - 1]!;
    if (this.#simpleKeyIsValid(k)) {
      this.#insertToken(k.tokenNumber, { type: TokenType.KEY, start: k.mark, end: k.mark, value: '' });
      this.#rollIndent(k.mark.column, k.tokenNumber, TokenType.BLOCK_MAPPING_START, k.mark);
      k.possible = false;
      this.#simpleKeysByTok.delete(k.tokenNumber);
      this.#simpleKeyAllowed = false;
    } else {
      if (this.#flowLevel === 0) {
        if (!this.#simpleKeyAllowed) throw this.#scanError('', this.#mark, 'mapping values are not allowed in this context');
        this.#rollIndent(this.#mark.column, -1, TokenType.BLOCK_MAPPING_START, this.#curMark());
      }
      this.#simpleKeyAllowed = this.#flowLevel === 0;
    }
    this.#fetchIndicator(TokenType.VALUE);
  }

  #fetchAnchor(type: TokenType.ALIAS | TokenType.ANCHOR): void {
    this.#saveSimpleKey();
    this.#simpleKeyAllowed = false;
    const start = this.#curMark();
    this.#skip();
    let name = '';
    while (isAlpha(this.#ch())) name += this.#readChar();
    const c = this.#ch();
    if (name.length === 0 || !(isBlankZ(c) || (c !== undefined && '?:,]}%@`'.includes(c)))) {
      throw this.#scanError(type === TokenType.ANCHOR ? 'while scanning an anchor' : 'while scanning an alias', start, 'did not find expected alphabetic or numeric character');
    }
    this.#insertToken(-1, { type, start, end: this.#curMark(), value: name });
  }

  /** libyaml `yaml_parser_scan_tag`: `value` is the handle (`''` for a verbatim tag), `suffix` the rest. */
  #fetchTag(): void {
    this.#saveSimpleKey();
    this.#simpleKeyAllowed = false;
    const start = this.#curMark();
    let handle: string;
    let suffix: string;
    if (this.#ch(1) === '<') {
      this.#skip();
      this.#skip();
      handle = '';
      suffix = this.#tagUri(false, '', start);
      if (this.#ch() !== '>') throw this.#scanError('while scanning a tag', start, "did not find the expected '>'");
      this.#skip();
    } else {
      handle = this.#tagHandle(false, start);
      if (handle.length > 1 && handle.endsWith('!')) {
        suffix = this.#tagUri(false, '', start);
      } else {
        suffix = this.#tagUri(false, handle, start);
        handle = '!';
        if (suffix.length === 0) [handle, suffix] = [suffix, handle];
      }
    }
    if (!isBlankZ(this.#ch())) throw this.#scanError('while scanning a tag', start, 'did not find expected whitespace or line break');
    this.#insertToken(-1, { type: TokenType.TAG, start, end: this.#curMark(), value: handle, suffix });
  }

  /**
   * libyaml `read_line` for scalar content: consume one line break and return
   * what it contributes to a scalar's value. CR, LF, CRLF and NEL all read as
   * `\n`; LS and PS are kept as they are (YAML 1.1), which is why they never
   * fold into a space below.
   */
  #readBreak(): string {
    const c = this.#ch();
    if (c === '\u2028' || c === '\u2029') {
      this.#skipLine();
      return c;
    }
    if (!isBreakCh(c)) return '';
    this.#skipLine();
    return '\n';
  }

  /** The characters from `from` to the scanner's position (a run of content copied as is). */
  #sliceFrom(from: number): string {
    return this.#s.slice(from, this.#pos);
  }

  /**
   * libyaml `yaml_parser_scan_block_scalar`: the header (chomping `+`/`-` and
   * an indentation indicator 1–9, either order), then the content lines at
   * the block's indentation. Literal (`|`) keeps line breaks; folded (`>`)
   * joins a line break between two lines that both start with a non-blank
   * into one space, and keeps it before, after and between "more-indented"
   * lines (those starting with a space or tab). Chomping: strip (`-`) drops
   * the final break and trailing empty lines, clip (default) keeps the final
   * break, keep (`+`) keeps both.
   */
  #fetchBlockScalar(literal: boolean): void {
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = true;
    const start = this.#curMark();
    this.#skip();
    let chomping = 0;
    let increment = 0;
    const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
    const zero = (): ScanError => this.#scanError('while scanning a block scalar', start, 'found an indentation indicator equal to 0');
    if (this.#ch() === '+' || this.#ch() === '-') {
      chomping = this.#ch() === '+' ? 1 : -1;
      this.#skip();
      if (isDigit(this.#ch())) {
        if (this.#ch() === '0') throw zero();
        increment = Number(this.#ch());
        this.#skip();
      }
    } else if (isDigit(this.#ch())) {
      if (this.#ch() === '0') throw zero();
      increment = Number(this.#ch());
      this.#skip();
      if (this.#ch() === '+' || this.#ch() === '-') {
        chomping = this.#ch() === '+' ? 1 : -1;
        this.#skip();
      }
    }
    this.#skipBlanks();
    if (this.#ch() === '#') {
      this.#scanLineComment(start);
      this.#skipToBreak();
    }
    if (!isBreakZ(this.#ch())) {
      throw this.#scanError('while scanning a block scalar', start, 'did not find expected comment or line break');
    }
    if (isBreakCh(this.#ch())) this.#skipLine();
    let indent = 0;
    if (increment > 0) indent = this.#indent >= 0 ? this.#indent + increment : increment;
    let value = '';
    let leadingBreak = '';
    this.#breaks = '';
    indent = this.#blockScalarBreaks(indent, start);
    let leadingBlank = false;
    while (this.#mark.column === indent && !this.#eof()) {
      // At the start of a non-empty content line.
      const trailingBlank = isBlankCh(this.#ch());
      if (!literal && !leadingBlank && !trailingBlank && leadingBreak === '\n') {
        // Folding: a lone line break between two "normal" lines is a space;
        // with empty lines between them, only the empty lines' breaks stay.
        if (this.#breaks.length === 0) value += ' ';
      } else {
        value += leadingBreak;
      }
      value += this.#breaks;
      leadingBreak = '';
      this.#breaks = '';
      leadingBlank = isBlankCh(this.#ch());
      const from = this.#pos;
      this.#skipToBreak();
      value += this.#sliceFrom(from);
      leadingBreak = this.#readBreak();
      indent = this.#blockScalarBreaks(indent, start);
    }
    if (chomping !== -1) value += leadingBreak;
    if (chomping === 1) value += this.#breaks;
    this.#breaks = '';
    this.#insertToken(-1, { type: TokenType.SCALAR, start, end: this.#curMark(), value, style: literal ? Style.Literal : Style.Folded });
  }

  /**
   * libyaml `yaml_parser_scan_block_scalar_breaks`: skip indentation and empty
   * lines (their breaks are appended to `#breaks`); with no indentation
   * yet (`indentIn` 0), the block's indentation is the deepest of these
   * leading empty lines' spaces, at least one more than the parent's.
   */
  #blockScalarBreaks(indentIn: number, start: Mark): number {
    let indent = indentIn;
    let maxIndent = 0;
    for (;;) {
      while ((indent === 0 || this.#mark.column < indent) && this.#ch() === ' ') this.#skip();
      if (this.#mark.column > maxIndent) maxIndent = this.#mark.column;
      if ((indent === 0 || this.#mark.column < indent) && this.#ch() === '\t') {
        throw this.#scanError('while scanning a block scalar', start, 'found a tab character where an indentation space is expected');
      }
      if (!isBreakCh(this.#ch())) break;
      this.#breaks += this.#readBreak();
    }
    if (indent === 0) {
      indent = Math.max(maxIndent, this.#indent + 1, 1);
    }
    return indent;
  }

  /**
   * libyaml `yaml_parser_scan_flow_scalar`: a single- or double-quoted
   * scalar. `''` is a quote in single-quoted scalars; double-quoted ones
   * have escapes (see `#escape`) and `\` + line break joins lines with
   * nothing between them. Blanks before a line break are dropped, as are the
   * next line's leading blanks; a single line break folds into a space, more
   * line breaks leave all but the first.
   */
  #fetchFlowScalar(single: boolean): void {
    this.#saveSimpleKey();
    this.#simpleKeyAllowed = false;
    const start = this.#curMark();
    const quote = single ? "'" : '"';
    this.#skip();
    let value = '';
    let leadingBreak = '';
    let trailingBreaks = '';
    let whitespaces = '';
    for (;;) {
      const c = this.#ch();
      if (this.#atDocumentIndicator(c)) {
        throw this.#scanError('while scanning a quoted scalar', start, 'found unexpected document indicator');
      }
      if (this.#eof()) throw this.#scanError('while scanning a quoted scalar', start, 'found unexpected end of stream');
      // Non-blank characters.
      let leadingBlanks = false;
      let from = this.#pos;
      for (let d = this.#ch(); !isBlankZ(d); d = this.#ch()) {
        if (d === quote) {
          if (!single || this.#ch(1) !== "'") break;
          value += this.#sliceFrom(from) + "'";
          this.#skip();
          this.#skip();
          from = this.#pos;
        } else if (d === '\\' && !single) {
          value += this.#sliceFrom(from);
          if (isBreakCh(this.#ch(1))) {
            // An escaped line break: the line ends here, nothing is added.
            this.#skip();
            this.#skipLine();
            leadingBlanks = true;
            from = this.#pos;
            break;
          }
          value += this.#escape(start);
          from = this.#pos;
        } else {
          this.#skip();
        }
      }
      value += this.#sliceFrom(from);
      if (this.#ch() === quote) break;
      // Blanks and line breaks.
      for (let d = this.#ch(); isBlankCh(d) || isBreakCh(d); d = this.#ch()) {
        if (isBlankCh(d)) {
          if (leadingBlanks) this.#skip();
          else whitespaces += this.#readChar();
        } else if (!leadingBlanks) {
          whitespaces = '';
          leadingBreak = this.#readBreak();
          leadingBlanks = true;
        } else {
          trailingBreaks += this.#readBreak();
        }
      }
      if (leadingBlanks) {
        if (leadingBreak === '\n') value += trailingBreaks.length === 0 ? ' ' : trailingBreaks;
        else value += leadingBreak + trailingBreaks;
        leadingBreak = '';
        trailingBreaks = '';
      } else {
        value += whitespaces;
        whitespaces = '';
      }
    }
    this.#skip();
    this.#insertToken(-1, { type: TokenType.SCALAR, start, end: this.#curMark(), value, style: single ? Style.SingleQuoted : Style.DoubleQuoted });
  }

  /**
   * An escape sequence in a double-quoted scalar (libyaml checks and decodes
   * them while scanning): the YAML 1.1 set, including `\N` (NEL), `\_`
   * (no-break space), `\L` (LS), `\P` (PS), `\` + tab, and `\x` `\u` `\U`
   * code points (surrogates and values above U+10FFFF are errors).
   */
  #escape(start: Mark): string {
    const e = this.#ch(1);
    let codeLength = 0;
    let decoded = '';
    if (e === 'x') codeLength = 2;
    else if (e === 'u') codeLength = 4;
    else if (e === 'U') codeLength = 8;
    else {
      const i = e === undefined ? -1 : ESCAPE_CHARS.indexOf(e);
      if (i < 0) throw this.#scanError('while parsing a quoted scalar', start, 'found unknown escape character');
      decoded = ESCAPE_VALUES[i]!;
    }
    this.#skip();
    this.#skip();
    if (codeLength === 0) return decoded;
    let value = 0;
    for (let k = 0; k < codeLength; k++) {
      const h = this.#ch(k);
      if (!isHex(h)) throw this.#scanError('while parsing a quoted scalar', start, 'did not find expected hexdecimal number');
      value = value * 16 + parseInt(h!, 16);
    }
    if ((value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) {
      throw this.#scanError('while parsing a quoted scalar', start, 'found invalid Unicode character escape code');
    }
    for (let k = 0; k < codeLength; k++) this.#skip();
    return String.fromCodePoint(value);
  }

  /**
   * libyaml `yaml_parser_scan_plain_scalar`. The scalar ends at `: ` (or `:`
   * before a break/end), at ` #`, at a document marker at column 0, in flow
   * context at `,?[]{}`, and in block context at a line indented no deeper
   * than the parent. Blanks around line breaks are dropped; one line break
   * folds into a space, more leave all but the first (as in quoted scalars).
   * Trailing blanks and breaks are not part of the value.
   */
  #fetchPlainScalar(): void {
    this.#saveSimpleKey();
    this.#simpleKeyAllowed = false;
    const start = this.#curMark();
    let end = this.#curMark();
    const indent = this.#indent + 1;
    let value = '';
    let leadingBreak = '';
    let trailingBreaks = '';
    let whitespaces = '';
    let leadingBlanks = false;
    for (;;) {
      const c = this.#ch();
      if (this.#atDocumentIndicator(c)) {
        break;
      }
      if (c === '#') break;
      const from = this.#pos;
      for (let d = this.#ch(); !isBlankZ(d); d = this.#ch()) {
        if ((d === ':' && isBlankZ(this.#ch(1))) || (this.#flowLevel > 0 && FLOW_INDICATORS.includes(d!))) break;
        if (leadingBlanks || whitespaces.length > 0) {
          // Join what came before this run: folded breaks or the blanks.
          if (leadingBlanks) {
            if (leadingBreak === '\n') value += trailingBreaks.length === 0 ? ' ' : trailingBreaks;
            else value += leadingBreak + trailingBreaks;
            leadingBreak = '';
            trailingBreaks = '';
            leadingBlanks = false;
          } else {
            value += whitespaces;
            whitespaces = '';
          }
        }
        // Characters that cannot end the scalar go at once; others (`:`, and in flow context `,?[]{}`) one by one.
        if (!this.#skipRun(this.#flowLevel > 0 ? FLOW_PLAIN_RUN : PLAIN_RUN)) this.#skip();
      }
      if (this.#pos > from) {
        value += this.#sliceFrom(from);
        end = this.#curMark();
      }
      if (!(isBlankCh(this.#ch()) || isBreakCh(this.#ch()))) break;
      for (let d = this.#ch(); isBlankCh(d) || isBreakCh(d); d = this.#ch()) {
        if (isBlankCh(d)) {
          if (leadingBlanks && this.#mark.column < indent && d === '\t') {
            throw this.#scanError('while scanning a plain scalar', start, 'found a tab character that violates indentation');
          }
          if (leadingBlanks) this.#skip();
          else whitespaces += this.#readChar();
        } else if (!leadingBlanks) {
          whitespaces = '';
          leadingBreak = this.#readBreak();
          leadingBlanks = true;
        } else {
          trailingBreaks += this.#readBreak();
        }
      }
      if (this.#flowLevel === 0 && this.#mark.column < indent) break;
    }
    if (leadingBlanks) this.#simpleKeyAllowed = true;
    this.#insertToken(-1, { type: TokenType.SCALAR, start, end, value, style: 0 });
  }
}

/** Characters after `\` in a double-quoted scalar with a fixed meaning, and what each stands for. */
const ESCAPE_CHARS = '0abt\tnvfre "\'\\N_LP';
const ESCAPE_VALUES = ['\0', '\x07', '\b', '\t', '\t', '\n', '\x0b', '\f', '\r', '\x1b', ' ', '"', "'", '\\', '\u0085', '\u00a0', '\u2028', '\u2029'];
/**
 * Runs of characters that `#skip` passes one by one, taken at once: one
 * UTF-16 unit each (no surrogates: a pair is one column), no blanks, breaks
 * or NUL; for plain scalars also no `:` (which ends one before a blank), in
 * flow context no flow indicators. And runs of spaces (indentation).
 */
const SPACES_RUN = / +/y;
const LINE_RUN = /[^\0\t\n\r \x85\u2028\u2029\ud800-\udfff]+/y;
const PLAIN_RUN = /[^\0\t\n\r :\x85\u2028\u2029\ud800-\udfff]+/y;
const FLOW_PLAIN_RUN = /[^\0\t\n\r :,?[\]{}\x85\u2028\u2029\ud800-\udfff]+/y;
/** Characters that end a plain scalar inside a flow collection. */
const FLOW_INDICATORS = ',?[]{}';
