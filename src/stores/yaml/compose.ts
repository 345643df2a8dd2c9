/**
 * YAML text → go-yaml v3 style document nodes with comments.
 *
 * The event parser follows go-yaml's (libyaml's) grammar and, above all, its
 * rules for handing the scanner's comment blocks to events: which events
 * take the pending head/line/foot comments, the split of a document's head
 * comment at its last blank line, "stem" comments under sequence entries,
 * and the foot-comment moves go-yaml's node builder does in mappings. Scalar
 * values come decoded from the scanner (libyaml decodes them while scanning).
 *
 * @module
 */
import { newNode, Style, type EventType, type YamlNode } from './node.js';
import { readInput, ReaderError, Scanner, YamlMarkedError, type Mark, type Token } from './scanner.js';

/**
 * A YAML error as the store reports it: `message` is exactly go-yaml v3's
 * error text, `line`/`column` the 1-based position of the problem (0 when
 * unknown). Never carries input text beyond what go-yaml prints (anchor
 * names). `documents` are the documents completed before the failure: sops
 * parses the first document alone first and reports its errors as they are,
 * errors in later documents come wrapped (see `YamlStore.loadPlainFile`).
 */
export class YamlSyntaxError extends Error {
  override name = 'YamlSyntaxError';
  documents: YamlNode[] = [];
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

const ZERO_MARK: Mark = { index: 0, line: 0, column: 0 };

/**
 * go-yaml `(*parser).fail`: the line is the context mark's if it is not on
 * the first line, else the problem mark's; both are 0-based and only scanner
 * errors add 1 ("Scanner errors don't iterate line before returning error").
 * No line is printed when it comes out 0. The context text is never printed.
 */
export function formatYamlError(e: YamlMarkedError): string {
  let line = 0;
  if (e.contextMark.line !== 0) line = e.contextMark.line + (e.kind === 'scanner' ? 1 : 0);
  else if (e.problemMark.line !== 0) line = e.problemMark.line + (e.kind === 'scanner' ? 1 : 0);
  const where = line !== 0 ? `line ${line}: ` : '';
  return `yaml: ${where}${e.problem.length > 0 ? e.problem : 'unknown problem parsing YAML content'}`;
}

/** A libyaml parser error (`yaml_parser_set_parser_error(_context)`). */
function parserError(context: string, contextMark: Mark, problem: string, problemMark: Mark): YamlMarkedError {
  return new YamlMarkedError('parser', context, contextMark, problem, problemMark);
}

/** A parser error without context (`yaml_parser_set_parser_error`). */
function parseError(problem: string, mark: Mark): YamlMarkedError {
  return parserError('', ZERO_MARK, problem, mark);
}

/** go-yaml `failf`: `yaml: ` and the message, no position. `mark` only sets {@link YamlSyntaxError.line}. */
class GoYamlFailure extends Error {
  constructor(
    message: string,
    readonly mark: Mark,
  ) {
    super(message);
  }
}

/** libyaml's default tag directives. */
const DEFAULT_TAG_DIRECTIVES: ReadonlyArray<[string, string]> = [
  ['!', '!'],
  ['!!', 'tag:yaml.org,2002:'],
];

interface Event {
  type: EventType;
  start: Mark;
  anchor: string;
  tag: string;
  /** A scalar's decoded value and style. */
  value: string;
  scalarKind: 'plain' | 'single' | 'double' | 'literal' | 'folded' | 'empty';
  flow: boolean;
  head: string;
  line: string;
  foot: string;
}

type State =
  | 'STREAM_START'
  | 'IMPLICIT_DOCUMENT_START'
  | 'DOCUMENT_START'
  | 'DOCUMENT_CONTENT'
  | 'DOCUMENT_END'
  | 'BLOCK_NODE'
  | 'BLOCK_SEQUENCE_FIRST_ENTRY'
  | 'BLOCK_SEQUENCE_ENTRY'
  | 'INDENTLESS_SEQUENCE_ENTRY'
  | 'BLOCK_MAPPING_FIRST_KEY'
  | 'BLOCK_MAPPING_KEY'
  | 'BLOCK_MAPPING_VALUE'
  | 'FLOW_SEQUENCE_FIRST_ENTRY'
  | 'FLOW_SEQUENCE_ENTRY'
  | 'FLOW_SEQUENCE_ENTRY_MAPPING_KEY'
  | 'FLOW_SEQUENCE_ENTRY_MAPPING_VALUE'
  | 'FLOW_SEQUENCE_ENTRY_MAPPING_END'
  | 'FLOW_MAPPING_FIRST_KEY'
  | 'FLOW_MAPPING_KEY'
  | 'FLOW_MAPPING_VALUE'
  | 'FLOW_MAPPING_EMPTY_VALUE'
  | 'END';

/** The event parser (libyaml `yaml_parser_parse` with go-yaml's comment handling). */
class EventParser {
  private readonly scanner: Scanner;
  private commentsHead = 0;
  private headComment = '';
  private lineComment = '';
  private footComment = '';
  private stemComment: string | null = null;
  private state: State = 'STREAM_START';
  private states: State[] = [];
  private marks: Mark[] = [];
  private tagDirectives = new Map<string, string>();

  constructor(src: string, readerError?: ReaderError) {
    this.scanner = new Scanner(src, readerError);
  }

  private peekToken(): Token {
    const token = this.scanner.peek();
    this.unfoldComments(token);
    return token;
  }

  private skipToken(): void {
    this.scanner.skipToken();
  }

  /** go-yaml `yaml_parser_unfold_comments`: move queued comments at or before `token` into the pending slots. */
  private unfoldComments(token: Token): void {
    const comments = this.scanner.comments;
    while (this.commentsHead < comments.length && token.start.index >= comments[this.commentsHead]!.tokenMark.index) {
      const c = comments[this.commentsHead]!;
      if (c.head.length > 0) {
        // No heads on ends: keep it for a following token.
        if (token.type === 'BLOCK_END') break;
        this.headComment = this.headComment.length > 0 ? this.headComment + '\n' + c.head : c.head;
      }
      if (c.foot.length > 0) this.footComment = this.footComment.length > 0 ? this.footComment + '\n' + c.foot : c.foot;
      if (c.line.length > 0) this.lineComment = this.lineComment.length > 0 ? this.lineComment + '\n' + c.line : c.line;
      comments[this.commentsHead] = { ...c, head: '', line: '', foot: '' };
      this.commentsHead++;
    }
  }

  private setEventComments(e: Event): void {
    e.head = this.headComment;
    e.line = this.lineComment;
    e.foot = this.footComment;
    this.headComment = '';
    this.lineComment = '';
    this.footComment = '';
    this.stemComment = null;
  }

  private event(type: EventType, start: Mark, init: Partial<Event> = {}): Event {
    return { type, start, anchor: '', tag: '', value: '', scalarKind: 'empty', flow: false, head: '', line: '', foot: '', ...init };
  }

  private popState(): void {
    this.state = this.states.pop()!;
  }

  next(): Event {
    switch (this.state) {
      case 'STREAM_START': {
        const t = this.peekToken();
        this.state = 'IMPLICIT_DOCUMENT_START';
        this.skipToken();
        return this.event('STREAM_START', t.start);
      }
      case 'IMPLICIT_DOCUMENT_START':
        return this.documentStart(true);
      case 'DOCUMENT_START':
        return this.documentStart(false);
      case 'DOCUMENT_CONTENT': {
        const t = this.peekToken();
        if (['VERSION_DIRECTIVE', 'TAG_DIRECTIVE', 'DOCUMENT_START', 'DOCUMENT_END', 'STREAM_END'].includes(t.type)) {
          this.popState();
          return this.emptyScalar(t.start);
        }
        return this.parseNode(true, false);
      }
      case 'DOCUMENT_END':
        return this.documentEnd();
      case 'BLOCK_NODE':
        return this.parseNode(true, false);
      case 'BLOCK_SEQUENCE_FIRST_ENTRY':
        return this.blockSequenceEntry(true);
      case 'BLOCK_SEQUENCE_ENTRY':
        return this.blockSequenceEntry(false);
      case 'INDENTLESS_SEQUENCE_ENTRY':
        return this.indentlessSequenceEntry();
      case 'BLOCK_MAPPING_FIRST_KEY':
        return this.blockMappingKey(true);
      case 'BLOCK_MAPPING_KEY':
        return this.blockMappingKey(false);
      case 'BLOCK_MAPPING_VALUE':
        return this.blockMappingValue();
      case 'FLOW_SEQUENCE_FIRST_ENTRY':
        return this.flowSequenceEntry(true);
      case 'FLOW_SEQUENCE_ENTRY':
        return this.flowSequenceEntry(false);
      case 'FLOW_SEQUENCE_ENTRY_MAPPING_KEY':
        return this.flowSequenceEntryMappingKey();
      case 'FLOW_SEQUENCE_ENTRY_MAPPING_VALUE':
        return this.flowSequenceEntryMappingValue();
      case 'FLOW_SEQUENCE_ENTRY_MAPPING_END': {
        const t = this.peekToken();
        this.state = 'FLOW_SEQUENCE_ENTRY';
        return this.event('MAPPING_END', t.start);
      }
      case 'FLOW_MAPPING_FIRST_KEY':
        return this.flowMappingKey(true);
      case 'FLOW_MAPPING_KEY':
        return this.flowMappingKey(false);
      case 'FLOW_MAPPING_VALUE':
        return this.flowMappingValue(false);
      case 'FLOW_MAPPING_EMPTY_VALUE':
        return this.flowMappingValue(true);
      case 'END':
        throw new Error('no events after the stream end');
    }
  }

  private emptyScalar(mark: Mark): Event {
    return this.event('SCALAR', mark, { scalarKind: 'empty' });
  }

  private documentStart(implicit: boolean): Event {
    let t = this.peekToken();
    if (!implicit) {
      while (t.type === 'DOCUMENT_END') {
        this.skipToken();
        t = this.peekToken();
      }
    }
    if (implicit && !['VERSION_DIRECTIVE', 'TAG_DIRECTIVE', 'DOCUMENT_START', 'STREAM_END'].includes(t.type)) {
      this.tagDirectives = new Map(DEFAULT_TAG_DIRECTIVES);
      this.states.push('DOCUMENT_END');
      this.state = 'BLOCK_NODE';
      // go-yaml: the part of the head comment before its last blank line is
      // the document's head comment; the rest goes to the first node.
      let head = '';
      const h = this.headComment;
      for (let i = h.length - 1; i > 0; i--) {
        if (h[i] === '\n') {
          if (i === h.length - 1) {
            head = h.slice(0, i);
            this.headComment = h.slice(i + 1);
            break;
          } else if (h[i - 1] === '\n') {
            head = h.slice(0, i - 1);
            this.headComment = h.slice(i + 1);
            break;
          }
        }
      }
      return this.event('DOCUMENT_START', t.start, { head });
    }
    if (t.type !== 'STREAM_END') {
      const start = t.start;
      // libyaml `yaml_parser_process_directives`.
      this.tagDirectives = new Map();
      let version = false;
      while (t.type === 'VERSION_DIRECTIVE' || t.type === 'TAG_DIRECTIVE') {
        if (t.type === 'VERSION_DIRECTIVE') {
          if (version) throw parseError('found duplicate %YAML directive', t.start);
          // go-yaml v3 accepts %YAML 1.1 only.
          if (t.major !== 1 || t.minor !== 1) throw parseError('found incompatible YAML document', t.start);
          version = true;
        } else {
          if (this.tagDirectives.has(t.value)) throw parseError('found duplicate %TAG directive', t.start);
          this.tagDirectives.set(t.value, t.suffix ?? '');
        }
        this.skipToken();
        t = this.peekToken();
      }
      for (const [h, p] of DEFAULT_TAG_DIRECTIVES) if (!this.tagDirectives.has(h)) this.tagDirectives.set(h, p);
      if (t.type !== 'DOCUMENT_START') throw parseError('did not find expected <document start>', t.start);
      this.states.push('DOCUMENT_END');
      this.state = 'DOCUMENT_CONTENT';
      this.skipToken();
      return this.event('DOCUMENT_START', start);
    }
    this.state = 'END';
    this.skipToken();
    return this.event('STREAM_END', t.start);
  }

  private documentEnd(): Event {
    const t = this.peekToken();
    if (t.type === 'DOCUMENT_END') this.skipToken();
    this.state = 'DOCUMENT_START';
    const e = this.event('DOCUMENT_END', t.start);
    this.setEventComments(e);
    if (e.head.length > 0 && e.foot.length === 0) {
      e.foot = e.head;
      e.head = '';
    }
    return e;
  }

  /** The tag of a node: verbatim, or its handle's prefix (from `%TAG` or the defaults) and the suffix. */
  private resolveTag(handle: string, suffix: string, startMark: Mark, tagMark: Mark): string {
    if (handle === '') return suffix;
    const prefix = this.tagDirectives.get(handle);
    if (prefix === undefined) throw parserError('while parsing a node', startMark, 'found undefined tag handle', tagMark);
    return prefix + suffix;
  }

  private parseNode(block: boolean, indentlessSequence: boolean): Event {
    let t = this.peekToken();
    if (t.type === 'ALIAS') {
      this.popState();
      const e = this.event('ALIAS', t.start, { anchor: t.value });
      this.setEventComments(e);
      this.skipToken();
      return e;
    }
    const start = t.start;
    let anchor = '';
    let tag = '';
    let tagHandle = '';
    let tagSuffix = '';
    let tagMark = t.start;
    if (t.type === 'ANCHOR') {
      anchor = t.value;
      this.skipToken();
      t = this.peekToken();
      if (t.type === 'TAG') {
        tag = '!';
        tagHandle = t.value;
        tagSuffix = t.suffix ?? '';
        tagMark = t.start;
        this.skipToken();
        t = this.peekToken();
      }
    } else if (t.type === 'TAG') {
      tag = '!';
      tagHandle = t.value;
      tagSuffix = t.suffix ?? '';
      tagMark = t.start;
      this.skipToken();
      t = this.peekToken();
      if (t.type === 'ANCHOR') {
        anchor = t.value;
        this.skipToken();
        t = this.peekToken();
      }
    }
    if (tag !== '') tag = this.resolveTag(tagHandle, tagSuffix, start, tagMark);
    if (indentlessSequence && t.type === 'BLOCK_ENTRY') {
      this.state = 'INDENTLESS_SEQUENCE_ENTRY';
      return this.event('SEQUENCE_START', start, { anchor, tag });
    }
    if (t.type === 'SCALAR') {
      this.popState();
      const e = this.event('SCALAR', start, { anchor, tag, value: t.value, scalarKind: t.scalarKind! });
      this.setEventComments(e);
      this.skipToken();
      return e;
    }
    if (t.type === 'FLOW_SEQUENCE_START') {
      this.state = 'FLOW_SEQUENCE_FIRST_ENTRY';
      const e = this.event('SEQUENCE_START', start, { anchor, tag, flow: true });
      this.setEventComments(e);
      return e;
    }
    if (t.type === 'FLOW_MAPPING_START') {
      this.state = 'FLOW_MAPPING_FIRST_KEY';
      const e = this.event('MAPPING_START', start, { anchor, tag, flow: true });
      this.setEventComments(e);
      return e;
    }
    if (block && t.type === 'BLOCK_SEQUENCE_START') {
      this.state = 'BLOCK_SEQUENCE_FIRST_ENTRY';
      const e = this.event('SEQUENCE_START', start, { anchor, tag });
      if (this.stemComment !== null) {
        e.head = this.stemComment;
        this.stemComment = null;
      }
      return e;
    }
    if (block && t.type === 'BLOCK_MAPPING_START') {
      this.state = 'BLOCK_MAPPING_FIRST_KEY';
      const e = this.event('MAPPING_START', start, { anchor, tag });
      if (this.stemComment !== null) {
        e.head = this.stemComment;
        this.stemComment = null;
      }
      return e;
    }
    if (anchor !== '' || tag !== '') {
      this.popState();
      return this.event('SCALAR', start, { anchor, tag, scalarKind: 'empty' });
    }
    throw parserError(block ? 'while parsing a block node' : 'while parsing a flow node', start, 'did not find expected node content', t.start);
  }

  /** go-yaml `yaml_parser_split_stem_comment`. */
  private splitStemComment(stemLen: number): void {
    if (stemLen === 0) return;
    const t = this.peekToken();
    if (t.type !== 'BLOCK_SEQUENCE_START' && t.type !== 'BLOCK_MAPPING_START') return;
    this.stemComment = this.headComment.slice(0, stemLen);
    this.headComment = this.headComment.length === stemLen ? '' : this.headComment.slice(stemLen + 1);
  }

  private blockSequenceEntry(first: boolean): Event {
    if (first) {
      const t = this.peekToken();
      this.marks.push(t.start);
      this.skipToken();
    }
    let t = this.peekToken();
    if (t.type === 'BLOCK_ENTRY') {
      const mark = t.end;
      const priorHeadLen = this.headComment.length;
      this.skipToken();
      this.splitStemComment(priorHeadLen);
      t = this.peekToken();
      if (t.type !== 'BLOCK_ENTRY' && t.type !== 'BLOCK_END') {
        this.states.push('BLOCK_SEQUENCE_ENTRY');
        return this.parseNode(true, false);
      }
      this.state = 'BLOCK_SEQUENCE_ENTRY';
      return this.emptyScalar(mark);
    }
    if (t.type === 'BLOCK_END') {
      this.popState();
      this.marks.pop();
      this.skipToken();
      return this.event('SEQUENCE_END', t.start);
    }
    throw parserError('while parsing a block collection', this.marks.pop()!, "did not find expected '-' indicator", t.start);
  }

  private indentlessSequenceEntry(): Event {
    let t = this.peekToken();
    if (t.type === 'BLOCK_ENTRY') {
      const mark = t.end;
      const priorHeadLen = this.headComment.length;
      this.skipToken();
      this.splitStemComment(priorHeadLen);
      t = this.peekToken();
      if (t.type !== 'BLOCK_ENTRY' && t.type !== 'KEY' && t.type !== 'VALUE' && t.type !== 'BLOCK_END') {
        this.states.push('INDENTLESS_SEQUENCE_ENTRY');
        return this.parseNode(true, false);
      }
      this.state = 'INDENTLESS_SEQUENCE_ENTRY';
      return this.emptyScalar(mark);
    }
    this.popState();
    return this.event('SEQUENCE_END', t.start);
  }

  private blockMappingKey(first: boolean): Event {
    if (first) {
      const t = this.peekToken();
      this.marks.push(t.start);
      this.skipToken();
    }
    let t = this.peekToken();
    if (t.type === 'KEY') {
      const mark = t.end;
      this.skipToken();
      t = this.peekToken();
      if (t.type !== 'KEY' && t.type !== 'VALUE' && t.type !== 'BLOCK_END') {
        this.states.push('BLOCK_MAPPING_VALUE');
        return this.parseNode(true, true);
      }
      this.state = 'BLOCK_MAPPING_VALUE';
      return this.emptyScalar(mark);
    }
    if (t.type === 'BLOCK_END') {
      this.popState();
      this.marks.pop();
      const e = this.event('MAPPING_END', t.start);
      this.setEventComments(e);
      this.skipToken();
      return e;
    }
    throw parserError('while parsing a block mapping', this.marks.pop()!, 'did not find expected key', t.start);
  }

  private blockMappingValue(): Event {
    let t = this.peekToken();
    if (t.type === 'VALUE') {
      const mark = t.end;
      this.skipToken();
      t = this.peekToken();
      if (t.type !== 'KEY' && t.type !== 'VALUE' && t.type !== 'BLOCK_END') {
        this.states.push('BLOCK_MAPPING_KEY');
        return this.parseNode(true, true);
      }
      this.state = 'BLOCK_MAPPING_KEY';
      return this.emptyScalar(mark);
    }
    this.state = 'BLOCK_MAPPING_KEY';
    return this.emptyScalar(t.start);
  }

  private flowSequenceEntry(first: boolean): Event {
    if (first) {
      const t = this.peekToken();
      this.marks.push(t.start);
      this.skipToken();
    }
    let t = this.peekToken();
    if (t.type !== 'FLOW_SEQUENCE_END') {
      if (!first) {
        if (t.type === 'FLOW_ENTRY') {
          this.skipToken();
          t = this.peekToken();
        } else {
          throw parserError('while parsing a flow sequence', this.marks.pop()!, "did not find expected ',' or ']'", t.start);
        }
      }
      if (t.type === 'KEY') {
        this.state = 'FLOW_SEQUENCE_ENTRY_MAPPING_KEY';
        this.skipToken();
        return this.event('MAPPING_START', t.start, { flow: true });
      } else if (t.type !== 'FLOW_SEQUENCE_END') {
        this.states.push('FLOW_SEQUENCE_ENTRY');
        return this.parseNode(false, false);
      }
    }
    this.popState();
    this.marks.pop();
    const e = this.event('SEQUENCE_END', t.start);
    this.setEventComments(e);
    this.skipToken();
    return e;
  }

  private flowSequenceEntryMappingKey(): Event {
    const t = this.peekToken();
    if (t.type !== 'VALUE' && t.type !== 'FLOW_ENTRY' && t.type !== 'FLOW_SEQUENCE_END') {
      this.states.push('FLOW_SEQUENCE_ENTRY_MAPPING_VALUE');
      return this.parseNode(false, false);
    }
    const mark = t.end;
    this.skipToken();
    this.state = 'FLOW_SEQUENCE_ENTRY_MAPPING_VALUE';
    return this.emptyScalar(mark);
  }

  private flowSequenceEntryMappingValue(): Event {
    const t = this.peekToken();
    if (t.type === 'VALUE') {
      this.skipToken();
      const next = this.peekToken();
      if (next.type !== 'FLOW_ENTRY' && next.type !== 'FLOW_SEQUENCE_END') {
        this.states.push('FLOW_SEQUENCE_ENTRY_MAPPING_END');
        return this.parseNode(false, false);
      }
    }
    this.state = 'FLOW_SEQUENCE_ENTRY_MAPPING_END';
    // libyaml puts an empty value at the token after the `:`; go-yaml's
    // port declares that token in an inner scope (`token :=`), so its empty
    // value sits at the `:` itself (`[k: , x]`: the `:`'s line and column).
    return this.emptyScalar(t.start);
  }

  private flowMappingKey(first: boolean): Event {
    if (first) {
      const t = this.peekToken();
      this.marks.push(t.start);
      this.skipToken();
    }
    let t = this.peekToken();
    if (t.type !== 'FLOW_MAPPING_END') {
      if (!first) {
        if (t.type === 'FLOW_ENTRY') {
          this.skipToken();
          t = this.peekToken();
        } else {
          throw parserError('while parsing a flow mapping', this.marks.pop()!, "did not find expected ',' or '}'", t.start);
        }
      }
      if (t.type === 'KEY') {
        this.skipToken();
        t = this.peekToken();
        if (t.type !== 'VALUE' && t.type !== 'FLOW_ENTRY' && t.type !== 'FLOW_MAPPING_END') {
          this.states.push('FLOW_MAPPING_VALUE');
          return this.parseNode(false, false);
        }
        this.state = 'FLOW_MAPPING_VALUE';
        return this.emptyScalar(t.start);
      } else if (t.type !== 'FLOW_MAPPING_END') {
        this.states.push('FLOW_MAPPING_EMPTY_VALUE');
        return this.parseNode(false, false);
      }
    }
    this.popState();
    this.marks.pop();
    const e = this.event('MAPPING_END', t.start);
    this.setEventComments(e);
    this.skipToken();
    return e;
  }

  private flowMappingValue(empty: boolean): Event {
    let t = this.peekToken();
    if (empty) {
      this.state = 'FLOW_MAPPING_KEY';
      return this.emptyScalar(t.start);
    }
    if (t.type === 'VALUE') {
      this.skipToken();
      t = this.peekToken();
      if (t.type !== 'FLOW_ENTRY' && t.type !== 'FLOW_MAPPING_END') {
        this.states.push('FLOW_MAPPING_KEY');
        return this.parseNode(false, false);
      }
    }
    this.state = 'FLOW_MAPPING_KEY';
    return this.emptyScalar(t.start);
  }
}

const LONG_TAG_PREFIX = 'tag:yaml.org,2002:';
function shortTag(tag: string): string {
  return tag.startsWith(LONG_TAG_PREFIX) ? '!!' + tag.slice(LONG_TAG_PREFIX.length) : tag;
}

/** Options of {@link composeDocuments}. */
export interface ComposeOptions {
  /** Maximum nesting depth of collections. */
  maxDepth: number;
}

/**
 * go-yaml v3's node builder (`decode.go` `parser`): events → document nodes,
 * with the foot-comment moves it does inside block mappings.
 */
class Composer {
  private event: Event | null = null;
  private readonly anchors = new Map<string, YamlNode>();
  private depth = 0;
  private started = false;

  constructor(
    private readonly parser: EventParser,
    private readonly opts: ComposeOptions,
  ) {}

  private peek(): EventType {
    if (this.event === null) this.event = this.parser.next();
    return this.event.type;
  }

  private expect(type: EventType): Event {
    if (this.event === null) this.event = this.parser.next();
    const e = this.event;
    if (e.type !== type) throw parseError(`expected ${type} event but got ${e.type}`, e.start);
    this.event = null;
    return e;
  }

  /** The next document node, or `null` at the end of the stream. */
  nextDocument(): YamlNode | null {
    if (!this.started) {
      this.expect('STREAM_START');
      this.started = true;
    }
    if (this.peek() === 'STREAM_END') return null;
    return this.parse();
  }

  private node(kind: YamlNode['kind'], defaultTag: string, tag: string, value: string, e: Event): YamlNode {
    let style = 0;
    let t: string;
    if (tag !== '' && tag !== '!') {
      t = shortTag(tag);
      style = Style.Tagged;
    } else if (defaultTag !== '') {
      t = defaultTag;
    } else {
      t = '';
    }
    return newNode(kind, {
      tag: t,
      value,
      style,
      line: e.start.line + 1,
      column: e.start.column + 1,
      headComment: e.head,
      lineComment: e.line,
      footComment: e.foot,
    });
  }

  private parse(): YamlNode {
    switch (this.peek()) {
      case 'SCALAR':
        return this.scalar();
      case 'ALIAS':
        return this.alias();
      case 'MAPPING_START':
        return this.mapping();
      case 'SEQUENCE_START':
        return this.sequence();
      case 'DOCUMENT_START':
        return this.document();
      default:
        throw parseError('unexpected event', this.event!.start);
    }
  }

  private enter(e: Event): void {
    this.depth++;
    if (this.depth > this.opts.maxDepth) {
      throw new GoYamlFailure(`yaml: line ${e.start.line + 1}: nesting deeper than ${this.opts.maxDepth} levels`, e.start);
    }
  }

  private document(): YamlNode {
    const e = this.expect('DOCUMENT_START');
    const n = this.node('document', '', '', '', e);
    n.content.push(this.parse());
    const end = this.expect('DOCUMENT_END');
    n.footComment = end.foot;
    return n;
  }

  private alias(): YamlNode {
    const e = this.expect('ALIAS');
    const n = this.node('alias', '', '', e.anchor, e);
    const target = this.anchors.get(e.anchor);
    if (!target) throw new GoYamlFailure(`yaml: unknown anchor '${e.anchor}' referenced`, e.start);
    n.alias = target;
    return n;
  }

  private scalar(): YamlNode {
    const e = this.expect('SCALAR');
    const value = e.value;
    let style = 0;
    switch (e.scalarKind) {
      case 'double':
        style = Style.DoubleQuoted;
        break;
      case 'single':
        style = Style.SingleQuoted;
        break;
      case 'literal':
        style = Style.Literal;
        break;
      case 'folded':
        style = Style.Folded;
        break;
      default:
        break;
    }
    let defaultTag = '';
    if (style === 0) {
      if (value === '<<') defaultTag = '!!merge';
    } else {
      defaultTag = '!!str';
    }
    const n = this.node('scalar', defaultTag, e.tag, value, e);
    n.style |= style;
    if (e.anchor) {
      n.anchor = e.anchor;
      this.anchors.set(e.anchor, n);
    }
    return n;
  }

  private sequence(): YamlNode {
    const e = this.expect('SEQUENCE_START');
    this.enter(e);
    const n = this.node('sequence', '!!seq', e.tag, '', e);
    if (e.flow) n.style |= Style.Flow;
    if (e.anchor) {
      n.anchor = e.anchor;
      this.anchors.set(e.anchor, n);
    }
    while (this.peek() !== 'SEQUENCE_END') n.content.push(this.parse());
    const end = this.expect('SEQUENCE_END');
    n.lineComment = end.line;
    n.footComment = end.foot;
    this.depth--;
    return n;
  }

  private mapping(): YamlNode {
    const e = this.expect('MAPPING_START');
    this.enter(e);
    const n = this.node('mapping', '!!map', e.tag, '', e);
    const block = !e.flow;
    if (e.flow) n.style |= Style.Flow;
    if (e.anchor) {
      n.anchor = e.anchor;
      this.anchors.set(e.anchor, n);
    }
    while (this.peek() !== 'MAPPING_END') {
      const k = this.parse();
      n.content.push(k);
      if (block && k.footComment !== '') {
        // go-yaml: a foot comment on a key, when dedented, belongs to the prior value.
        if (n.content.length > 2) {
          n.content[n.content.length - 3]!.footComment = k.footComment;
          k.footComment = '';
        }
      }
      const v = this.parse();
      n.content.push(v);
      if (k.footComment === '' && v.footComment !== '') {
        k.footComment = v.footComment;
        v.footComment = '';
      }
    }
    const end = this.expect('MAPPING_END');
    n.lineComment = end.line;
    n.footComment = end.foot;
    if ((n.style & Style.Flow) === 0 && n.footComment !== '' && n.content.length > 1) {
      n.content[n.content.length - 2]!.footComment = n.footComment;
      n.footComment = '';
    }
    this.depth--;
    return n;
  }
}

/**
 * Parse every document of `data` into go-yaml v3 style nodes (as successive
 * `yaml.Decoder.Decode(&node)` calls return them). Bytes are read as go-yaml
 * reads them (UTF-8, one leading BOM dropped). Throws {@link YamlSyntaxError}
 * with go-yaml's message on malformed input; its `documents` are those
 * completed before the failure.
 */
export function composeDocuments(data: string | Uint8Array, opts: ComposeOptions): YamlNode[] {
  const input = readInput(data);
  const composer = new Composer(new EventParser(input.text, input.error), opts);
  const docs: YamlNode[] = [];
  try {
    for (;;) {
      const d = composer.nextDocument();
      if (d === null) break;
      docs.push(d);
    }
  } catch (err) {
    let e: YamlSyntaxError;
    if (err instanceof YamlMarkedError) {
      e = new YamlSyntaxError(formatYamlError(err), err.problemMark.line + 1, err.problemMark.column + 1);
    } else if (err instanceof GoYamlFailure) {
      e = new YamlSyntaxError(err.message, err.mark.line + 1, err.mark.column + 1);
    } else if (err instanceof ReaderError) {
      // go-yaml prints reader errors without a position.
      e = new YamlSyntaxError(`yaml: ${err.problem}`, 0, 0);
    } else {
      throw err;
    }
    e.documents = docs;
    throw e;
  }
  return docs;
}
