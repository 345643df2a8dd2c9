/**
 * A go-yaml v3 compatible emitter: writes a {@link YamlNode} tree with the
 * exact bytes of `yaml.Encoder` (libyaml's emitter as adapted by go-yaml v3:
 * indentation rule, comment placement, scalar style selection, escapes).
 *
 * It is written for the trees sops's YAML store builds (block collections,
 * empty flow collections, scalars, head/line/foot comments), and follows the
 * emitter's event state machine so that comments land where go-yaml puts them.
 *
 * @module
 */
import { EventType, Style, type YamlNode } from './node.js';
import { resolveTag } from './resolve.js';


const enum ScalarStyle {
  Plain = 1,
  Single,
  Double,
  Literal,
  Folded,
}

interface Event {
  type: EventType;
  anchor: string;
  tag: string;
  value: string;
  /**
   * libyaml's `implicit` (document start/end, collection start) or, for a
   * scalar, both its `plain_implicit` and `quoted_implicit`: go-yaml's
   * encoder always sets those two alike (to "has no tag").
   */
  implicit: boolean;
  scalarStyle: ScalarStyle;
  flow: boolean;
  head: string;
  line: string;
  foot: string;
  tail: string;
}

function ev(type: EventType, init: Partial<Event> = {}): Event {
  return {
    type,
    anchor: '',
    tag: '',
    value: '',
    implicit: true,
    scalarStyle: ScalarStyle.Plain,
    flow: false,
    head: '',
    line: '',
    foot: '',
    tail: '',
    ...init,
  };
}

const LONG_TAG_PREFIX = 'tag:yaml.org,2002:';
function longTag(tag: string): string {
  return tag.startsWith('!!') ? LONG_TAG_PREFIX + tag.slice(2) : tag;
}

/** Whether the code point is printable for the emitter (libyaml `is_printable`, on UTF-8 lead bytes). */
function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}
function isBreak(cp: number | undefined): boolean {
  return cp === 0x0d || cp === 0x0a || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
}
function isSpace(cp: number | undefined): boolean {
  return cp === 0x20;
}
function isBlank(cp: number | undefined): boolean {
  return cp === 0x20 || cp === 0x09;
}
function isBlankZ(cp: number | undefined): boolean {
  return cp === undefined || cp === 0 || isBlank(cp) || isBreak(cp);
}

/** Code points of a string (the emitter walks characters, not UTF-16 units). */
function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

interface ScalarAnalysis {
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** Printable ASCII without spaces: no breaks, blanks or special characters, so only indicators matter. */
const ASCII_WORD = /^[!-~]+$/;
/**
 * Block indicators in such a value (no blanks, so `: ` and ` #` cannot
 * occur): a `---`/`...` start, a leading indicator, a lone `-`, `?` or `:`,
 * a final `:`.
 */
const BLOCK_INDICATOR = /^(?:---|\.\.\.|[#,[\]{}&*!|>'"%@`]|[-?:]$)|.:$/;
/** Flow indicators in such a value, besides the block ones: `,?[]{}:` anywhere. */
const FLOW_INDICATOR = /[,?[\]{}:]/;

/**
 * libyaml `yaml_emitter_analyze_scalar`: which styles can represent `value`.
 * Values of printable ASCII without spaces (almost every value sops writes:
 * names, numbers, `ENC[…]` strings) take a short path with the same result.
 */
export function analyzeScalar(value: string): ScalarAnalysis {
  if (value.length === 0) {
    return { multiline: false, flowPlainAllowed: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  }
  if (ASCII_WORD.test(value)) {
    const block = BLOCK_INDICATOR.test(value);
    return { multiline: false, flowPlainAllowed: !block && !FLOW_INDICATOR.test(value), blockPlainAllowed: !block, singleQuotedAllowed: true, blockAllowed: true };
  }
  const v = codePoints(value);
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let tabCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    const followedByWhitespace = i + 1 >= v.length || isBlank(v[i + 1]);
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (ch === '-') {
        if (followedByWhitespace) {
          flowIndicators = true;
          blockIndicators = true;
        }
      }
    } else {
      if (',?[]{}'.includes(ch)) {
        flowIndicators = true;
      } else if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (ch === '#') {
        if (precededByWhitespace) {
          flowIndicators = true;
          blockIndicators = true;
        }
      }
    }
    if (c === 0x09) tabCharacters = true;
    else if (!isPrintable(c)) specialCharacters = true;
    if (isSpace(c)) {
      if (i === 0) leadingSpace = true;
      if (i === v.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === v.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankZ(c);
  }
  // libyaml's run of `*_allowed = 0` assignments, each style's conditions gathered.
  const noPlain =
    leadingSpace || leadingBreak || trailingSpace || trailingBreak || breakSpace || spaceBreak || tabCharacters || specialCharacters || lineBreaks;
  return {
    multiline: lineBreaks,
    flowPlainAllowed: !(noPlain || flowIndicators),
    blockPlainAllowed: !(noPlain || blockIndicators),
    singleQuotedAllowed: !(breakSpace || spaceBreak || tabCharacters || specialCharacters),
    blockAllowed: !(trailingSpace || spaceBreak || specialCharacters),
  };
}

/** The styles {@link selectBlockValueStyle} chooses from. */
type BlockValueStyle = 0 | Style.SingleQuoted | Style.DoubleQuoted | Style.Literal;

/**
 * The style go-yaml's emitter ends up using for a scalar requested in
 * `style`, in block context outside a simple key (as `Node.Encode` marshals a
 * lone value): libyaml `yaml_emitter_select_scalar_style`. Styles are
 * go-yaml's node {@link Style} flags, 0 for plain.
 */
export function selectBlockValueStyle(value: string, style: 0 | Style.DoubleQuoted | Style.Literal): BlockValueStyle {
  const a = analyzeScalar(value);
  let s: BlockValueStyle = style;
  if (s === 0 && !a.blockPlainAllowed) s = Style.SingleQuoted;
  if (s === Style.SingleQuoted && !a.singleQuotedAllowed) s = Style.DoubleQuoted;
  if (s === Style.Literal && !a.blockAllowed) s = Style.DoubleQuoted;
  return s;
}

/**
 * Emitter states, named as libyaml's (`YAML_EMIT_<NAME>_STATE`). A `const
 * enum`: bundlers inline the numbers, which keeps the browser bundle small.
 */
const enum State {
  STREAM_START,
  FIRST_DOCUMENT_START,
  DOCUMENT_START,
  DOCUMENT_CONTENT,
  DOCUMENT_END,
  FLOW_SEQUENCE_FIRST_ITEM,
  FLOW_SEQUENCE_TRAIL_ITEM,
  FLOW_SEQUENCE_ITEM,
  FLOW_MAPPING_FIRST_KEY,
  FLOW_MAPPING_TRAIL_KEY,
  FLOW_MAPPING_KEY,
  FLOW_MAPPING_SIMPLE_VALUE,
  FLOW_MAPPING_VALUE,
  BLOCK_SEQUENCE_FIRST_ITEM,
  BLOCK_SEQUENCE_ITEM,
  BLOCK_MAPPING_FIRST_KEY,
  BLOCK_MAPPING_KEY,
  BLOCK_MAPPING_SIMPLE_VALUE,
  BLOCK_MAPPING_VALUE,
  END,
}

/** Emitter errors (never contain values). */
export class EmitterError extends Error {
  override name = 'EmitterError';
}

/**
 * The emitter proper. Feed events with {@link Emitter.emit}; read `out`.
 * Line width is unlimited, as go-yaml v3's default (`best_width = -1`), so
 * libyaml's line-folding checks (`column > best_width`) are left out.
 */
class Emitter {
  out = '';
  #bestIndent: number;
  #state: State = State.STREAM_START;
  #states: State[] = [];
  #events: Event[] = [];
  #head = 0;
  #indents: number[] = [];
  #indent = -1;
  #flowLevel = 0;
  #rootContext = false;
  #simpleKeyContext = false;
  #column = 0;
  #whitespace = true;
  #indention = true;
  #openEnded = false;
  #footIndent = -1;

  #headComment = '';
  #lineComment = '';
  #footComment = '';
  #tailComment = '';
  #keyLineComment = '';

  // What libyaml's `yaml_emitter_analyze_event` found in the current event
  // (its `anchor_data`, `tag_data` and `scalar_data`).
  #anchor = '';
  /** Whether `#anchor` is an alias (`*a`) rather than an anchor (`&a`). */
  #alias = false;
  #tagHandle = '';
  #tagSuffix = '';
  #scalarValue = '';
  #scalarStyle = ScalarStyle.Plain;
  /** The analysis of `#scalarValue`; only read while a scalar is current. */
  #scalarAnalysis: ScalarAnalysis = analyzeScalar('');

  constructor(indent: number) {
    this.#bestIndent = indent;
  }

  /** go-yaml's `encoder.finish` clears the open-ended flag before STREAM-END, so no `...` is ever written. */
  finish(): void {
    this.#openEnded = false;
    this.emit(ev(EventType.STREAM_END));
  }

  emit(event: Event): void {
    this.#events.push(event);
    while (!this.#needMoreEvents()) {
      const e = this.#events[this.#head]!;
      this.#analyzeEvent(e);
      this.#stateMachine(e);
      this.#head++;
    }
    // Events are fed one at a time and only a few are looked ahead at:
    // once all are handled, the queue starts over (it never holds a whole document).
    if (this.#head === this.#events.length) {
      this.#events.length = 0;
      this.#head = 0;
    }
  }

  #needMoreEvents(): boolean {
    if (this.#head === this.#events.length) return true;
    let accumulate: number;
    switch (this.#events[this.#head]!.type) {
      case EventType.DOCUMENT_START:
        accumulate = 1;
        break;
      case EventType.SEQUENCE_START:
        accumulate = 2;
        break;
      case EventType.MAPPING_START:
        accumulate = 3;
        break;
      default:
        return false;
    }
    if (this.#events.length - this.#head > accumulate) return false;
    let level = 0;
    for (let i = this.#head; i < this.#events.length; i++) {
      switch (this.#events[i]!.type) {
        case EventType.STREAM_START:
        case EventType.DOCUMENT_START:
        case EventType.SEQUENCE_START:
        case EventType.MAPPING_START:
          level++;
          break;
        case EventType.STREAM_END:
        case EventType.DOCUMENT_END:
        case EventType.SEQUENCE_END:
        case EventType.MAPPING_END:
          level--;
          break;
        default:
          break;
      }
      if (level === 0) return false;
    }
    return true;
  }

  // ---- low-level writers (column counts characters, as libyaml's)

  #put(s: string): void {
    this.out += s;
    this.#column++;
  }

  #putBreak(): void {
    this.out += '\n';
    this.#column = 0;
    this.#indention = true;
  }

  /** Append a run of characters (no line breaks): the column advances by its characters, not UTF-16 units. */
  #writeAll(s: string): void {
    this.out += s;
    this.#column += charCount(s);
  }

  /** Copy one break character: `\n` becomes the output line break, others are kept. */
  #writeBreak(ch: string): void {
    if (ch === '\n') {
      this.#putBreak();
    } else {
      this.out += ch;
      this.#column = 0;
      this.#indention = true;
    }
  }

  #increaseIndent(flow: boolean, indentless: boolean): void {
    this.#indents.push(this.#indent);
    if (this.#indent < 0) {
      this.#indent = flow ? this.#bestIndent : 0;
    } else if (!indentless) {
      // go-yaml: inside a sequence item the first indent only skips "- ";
      // everything else aligns to the next multiple of the indent.
      if (this.#states[this.#states.length - 1] === State.BLOCK_SEQUENCE_ITEM) {
        this.#indent += 2;
      } else {
        this.#indent = this.#bestIndent * Math.floor((this.#indent + this.#bestIndent) / this.#bestIndent);
      }
    }
  }

  #popIndent(): void {
    this.#indent = this.#indents.pop()!;
  }

  #popState(): void {
    this.#state = this.#states.pop()!;
  }

  #writeIndent(): void {
    const indent = Math.max(this.#indent, 0);
    if (!this.#indention || this.#column > indent || (this.#column === indent && !this.#whitespace)) {
      this.#putBreak();
    }
    if (this.#footIndent === indent) this.#putBreak();
    if (this.#column < indent) {
      this.out += ' '.repeat(indent - this.#column);
      this.#column = indent;
    }
    this.#whitespace = true;
    this.#footIndent = -1;
  }

  #writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.#whitespace) this.#put(' ');
    this.#writeAll(indicator);
    this.#whitespace = isWhitespace;
    this.#indention = this.#indention && isIndention;
    this.#openEnded = false;
  }

  #writeComment(comment: string): void {
    let breaks = false;
    let pound = false;
    for (const ch of comment) {
      const c = ch.codePointAt(0)!;
      if (isBreak(c)) {
        this.#writeBreak(ch);
        breaks = true;
        pound = false;
      } else {
        if (breaks) this.#writeIndent();
        if (!pound) {
          if (ch !== '#') {
            this.#put('#');
            this.#put(' ');
          }
          pound = true;
        }
        this.#put(ch);
        this.#indention = false;
        breaks = false;
      }
    }
    if (!breaks) this.#putBreak();
    this.#whitespace = true;
  }

  #processHeadComment(): void {
    if (this.#tailComment.length > 0) {
      this.#writeIndent();
      this.#writeComment(this.#tailComment);
      this.#tailComment = '';
      this.#footIndent = Math.max(this.#indent, 0);
    }
    if (this.#headComment.length === 0) return;
    this.#writeIndent();
    this.#writeComment(this.#headComment);
    this.#headComment = '';
  }

  #processLineComment(linebreak = false): void {
    if (this.#lineComment.length === 0) {
      if (linebreak) this.#putBreak();
      return;
    }
    if (!this.#whitespace) this.#put(' ');
    this.#writeComment(this.#lineComment);
    this.#lineComment = '';
  }

  #processFootComment(): void {
    if (this.#footComment.length === 0) return;
    this.#writeIndent();
    this.#writeComment(this.#footComment);
    this.#footComment = '';
    this.#footIndent = Math.max(this.#indent, 0);
  }

  // ---- analysis

  #analyzeEvent(e: Event): void {
    this.#anchor = '';
    this.#alias = false;
    this.#tagHandle = '';
    this.#tagSuffix = '';
    this.#scalarValue = '';
    if (e.head.length > 0) this.#headComment = e.head;
    if (e.line.length > 0) this.#lineComment = e.line;
    if (e.foot.length > 0) this.#footComment = e.foot;
    if (e.tail.length > 0) this.#tailComment = e.tail;
    switch (e.type) {
      case EventType.ALIAS:
        this.#anchor = e.anchor;
        this.#alias = true;
        break;
      case EventType.SCALAR:
        this.#anchor = e.anchor;
        if (e.tag.length > 0 && !e.implicit) this.#analyzeTag(e.tag);
        this.#scalarAnalysis = analyzeScalar(e.value);
        this.#scalarValue = e.value;
        break;
      case EventType.SEQUENCE_START:
      case EventType.MAPPING_START:
        this.#anchor = e.anchor;
        if (e.tag.length > 0 && !e.implicit) this.#analyzeTag(e.tag);
        break;
      default:
        break;
    }
  }

  #analyzeTag(tag: string): void {
    // go-yaml's default tag directives: "!" → "!", "!!" → "tag:yaml.org,2002:".
    if (tag.startsWith(LONG_TAG_PREFIX) && tag.length > LONG_TAG_PREFIX.length) {
      this.#tagHandle = '!!';
      this.#tagSuffix = tag.slice(LONG_TAG_PREFIX.length);
    } else if (tag.startsWith('!')) {
      this.#tagHandle = '!';
      this.#tagSuffix = tag.slice(1);
    } else {
      this.#tagSuffix = tag;
    }
  }

  // ---- state machine

  #stateMachine(e: Event): void {
    switch (this.#state) {
      case State.STREAM_START:
        return this.#emitStreamStart(e);
      case State.FIRST_DOCUMENT_START:
        return this.#emitDocumentStart(e, true);
      case State.DOCUMENT_START:
        return this.#emitDocumentStart(e, false);
      case State.DOCUMENT_CONTENT:
        return this.#emitDocumentContent(e);
      case State.DOCUMENT_END:
        return this.#emitDocumentEnd(e);
      case State.FLOW_SEQUENCE_FIRST_ITEM:
        return this.#emitFlowSequenceItem(e, true, false);
      case State.FLOW_SEQUENCE_TRAIL_ITEM:
        return this.#emitFlowSequenceItem(e, false, true);
      case State.FLOW_SEQUENCE_ITEM:
        return this.#emitFlowSequenceItem(e, false, false);
      case State.FLOW_MAPPING_FIRST_KEY:
        return this.#emitFlowMappingKey(e, true, false);
      case State.FLOW_MAPPING_TRAIL_KEY:
        return this.#emitFlowMappingKey(e, false, true);
      case State.FLOW_MAPPING_KEY:
        return this.#emitFlowMappingKey(e, false, false);
      case State.FLOW_MAPPING_SIMPLE_VALUE:
        return this.#emitFlowMappingValue(e, true);
      case State.FLOW_MAPPING_VALUE:
        return this.#emitFlowMappingValue(e, false);
      case State.BLOCK_SEQUENCE_FIRST_ITEM:
        return this.#emitBlockSequenceItem(e, true);
      case State.BLOCK_SEQUENCE_ITEM:
        return this.#emitBlockSequenceItem(e, false);
      case State.BLOCK_MAPPING_FIRST_KEY:
        return this.#emitBlockMappingKey(e, true);
      case State.BLOCK_MAPPING_KEY:
        return this.#emitBlockMappingKey(e, false);
      case State.BLOCK_MAPPING_SIMPLE_VALUE:
        return this.#emitBlockMappingValue(e, true);
      case State.BLOCK_MAPPING_VALUE:
        return this.#emitBlockMappingValue(e, false);
      case State.END:
        throw new EmitterError('expected nothing after STREAM-END');
    }
  }

  #emitStreamStart(e: Event): void {
    if (e.type !== EventType.STREAM_START) throw new EmitterError('expected STREAM-START');
    // go-yaml clamps the indent to 2..9 (anything else becomes 2).
    if (this.#bestIndent < 2 || this.#bestIndent > 9) this.#bestIndent = 2;
    this.#indent = -1;
    this.#column = 0;
    this.#whitespace = true;
    this.#indention = true;
    this.#footIndent = -1;
    this.#state = State.FIRST_DOCUMENT_START;
  }

  #emitDocumentStart(e: Event, first: boolean): void {
    if (e.type === EventType.DOCUMENT_START) {
      const implicit = e.implicit && first;
      if (!implicit) {
        this.#writeIndent();
        this.#writeIndicator('---', true, false, false);
        this.#writeIndent();
      }
      if (this.#headComment.length > 0) {
        this.#processHeadComment();
        this.#putBreak();
      }
      this.#state = State.DOCUMENT_CONTENT;
      return;
    }
    if (e.type === EventType.STREAM_END) {
      if (this.#openEnded) {
        this.#writeIndicator('...', true, false, false);
        this.#writeIndent();
      }
      this.#state = State.END;
      return;
    }
    throw new EmitterError('expected DOCUMENT-START or STREAM-END');
  }

  #emitDocumentContent(e: Event): void {
    this.#states.push(State.DOCUMENT_END);
    this.#processHeadComment();
    this.#emitNode(e, true, false);
    this.#processLineComment();
    this.#processFootComment();
  }

  #emitDocumentEnd(e: Event): void {
    if (e.type !== EventType.DOCUMENT_END) throw new EmitterError('expected DOCUMENT-END');
    // go-yaml forces a separation before a document foot comment.
    this.#footIndent = 0;
    this.#processFootComment();
    this.#footIndent = -1;
    this.#writeIndent();
    if (!e.implicit) {
      this.#writeIndicator('...', true, false, false);
      this.#writeIndent();
    }
    this.#state = State.DOCUMENT_START;
  }

  #emitFlowSequenceItem(e: Event, first: boolean, trail: boolean): void {
    if (first) {
      this.#writeIndicator('[', true, true, false);
      this.#increaseIndent(true, false);
      this.#flowLevel++;
    }
    if (e.type === EventType.SEQUENCE_END) {
      this.#flowLevel--;
      this.#popIndent();
      if (this.#column === 0) this.#writeIndent();
      this.#writeIndicator(']', false, false, false);
      this.#processLineComment();
      this.#processFootComment();
      this.#popState();
      return;
    }
    if (!first && !trail) this.#writeIndicator(',', false, false, false);
    this.#processHeadComment();
    if (this.#column === 0) this.#writeIndent();
    const hasComments = this.#lineComment.length + this.#footComment.length + this.#tailComment.length > 0;
    this.#states.push(hasComments ? State.FLOW_SEQUENCE_TRAIL_ITEM : State.FLOW_SEQUENCE_ITEM);
    this.#emitNode(e, false, false);
    if (this.#lineComment.length + this.#footComment.length + this.#tailComment.length > 0) {
      this.#writeIndicator(',', false, false, false);
    }
    this.#processLineComment();
    this.#processFootComment();
  }

  #emitFlowMappingKey(e: Event, first: boolean, trail: boolean): void {
    if (first) {
      this.#writeIndicator('{', true, true, false);
      this.#increaseIndent(true, false);
      this.#flowLevel++;
    }
    if (e.type === EventType.MAPPING_END) {
      if (this.#headComment.length + this.#footComment.length + this.#tailComment.length > 0 && !first && !trail) {
        this.#writeIndicator(',', false, false, false);
      }
      this.#processHeadComment();
      this.#flowLevel--;
      this.#popIndent();
      this.#writeIndicator('}', false, false, false);
      this.#processLineComment();
      this.#processFootComment();
      this.#popState();
      return;
    }
    if (!first && !trail) this.#writeIndicator(',', false, false, false);
    this.#processHeadComment();
    if (this.#column === 0) this.#writeIndent();
    if (this.#checkSimpleKey()) {
      this.#states.push(State.FLOW_MAPPING_SIMPLE_VALUE);
      this.#emitNode(e, false, true);
      return;
    }
    this.#writeIndicator('?', true, false, false);
    this.#states.push(State.FLOW_MAPPING_VALUE);
    this.#emitNode(e, false, false);
  }

  #emitFlowMappingValue(e: Event, simple: boolean): void {
    if (simple) {
      this.#writeIndicator(':', false, false, false);
    } else {
        this.#writeIndicator(':', true, false, false);
    }
    const hasComments = this.#lineComment.length + this.#footComment.length + this.#tailComment.length > 0;
    this.#states.push(hasComments ? State.FLOW_MAPPING_TRAIL_KEY : State.FLOW_MAPPING_KEY);
    this.#emitNode(e, false, false);
    if (this.#lineComment.length + this.#footComment.length + this.#tailComment.length > 0) {
      this.#writeIndicator(',', false, false, false);
    }
    this.#processLineComment();
    this.#processFootComment();
  }

  #emitBlockSequenceItem(e: Event, first: boolean): void {
    if (first) this.#increaseIndent(false, false);
    if (e.type === EventType.SEQUENCE_END) {
      this.#popIndent();
      this.#popState();
      return;
    }
    this.#processHeadComment();
    this.#writeIndent();
    this.#writeIndicator('-', true, false, true);
    this.#states.push(State.BLOCK_SEQUENCE_ITEM);
    this.#emitNode(e, false, false);
    this.#processLineComment();
    this.#processFootComment();
  }

  #emitBlockMappingKey(e: Event, first: boolean): void {
    if (first) this.#increaseIndent(false, false);
    this.#processHeadComment();
    if (e.type === EventType.MAPPING_END) {
      this.#popIndent();
      this.#popState();
      return;
    }
    this.#writeIndent();
    if (this.#lineComment.length > 0) {
      // go-yaml: a line comment on a key is kept aside and written with the value.
      this.#keyLineComment = this.#lineComment;
      this.#lineComment = '';
    }
    if (this.#checkSimpleKey()) {
      this.#states.push(State.BLOCK_MAPPING_SIMPLE_VALUE);
      this.#emitNode(e, false, true);
      return;
    }
    this.#writeIndicator('?', true, false, true);
    this.#states.push(State.BLOCK_MAPPING_VALUE);
    this.#emitNode(e, false, false);
  }

  #emitBlockMappingValue(e: Event, simple: boolean): void {
    if (simple) {
      this.#writeIndicator(':', false, false, false);
    } else {
      this.#writeIndent();
      this.#writeIndicator(':', true, false, true);
    }
    if (this.#keyLineComment.length > 0) {
      if (e.type === EventType.SCALAR) {
        if (this.#lineComment.length === 0) {
          this.#lineComment = this.#keyLineComment;
          this.#keyLineComment = '';
        }
      } else if (!e.flow && (e.type === EventType.MAPPING_START || e.type === EventType.SEQUENCE_START)) {
        const saved = this.#lineComment;
        this.#lineComment = this.#keyLineComment;
        this.#processLineComment();
        this.#keyLineComment = this.#lineComment;
        this.#lineComment = saved;
      }
    }
    this.#states.push(State.BLOCK_MAPPING_KEY);
    this.#emitNode(e, false, false);
    this.#processLineComment();
    this.#processFootComment();
  }

  /** libyaml `yaml_emitter_emit_node`, without its sequence and mapping context flags (which it only records). */
  #emitNode(e: Event, root: boolean, simpleKey: boolean): void {
    this.#rootContext = root;
    this.#simpleKeyContext = simpleKey;
    switch (e.type) {
      case EventType.ALIAS:
        this.#processAnchor();
        this.#popState();
        return;
      case EventType.SCALAR:
        return this.#emitScalar(e);
      case EventType.SEQUENCE_START:
        this.#processAnchor();
        this.#processTag();
        this.#state =
          this.#flowLevel > 0 || e.flow || this.#checkEmpty(EventType.SEQUENCE_START, EventType.SEQUENCE_END)
            ? State.FLOW_SEQUENCE_FIRST_ITEM
            : State.BLOCK_SEQUENCE_FIRST_ITEM;
        return;
      case EventType.MAPPING_START:
        this.#processAnchor();
        this.#processTag();
        this.#state =
          this.#flowLevel > 0 || e.flow || this.#checkEmpty(EventType.MAPPING_START, EventType.MAPPING_END)
            ? State.FLOW_MAPPING_FIRST_KEY
            : State.BLOCK_MAPPING_FIRST_KEY;
        return;
      default:
        throw new EmitterError('expected SCALAR, SEQUENCE-START, MAPPING-START, or ALIAS');
    }
  }

  #checkEmpty(start: EventType, end: EventType): boolean {
    if (this.#events.length - this.#head < 2) return false;
    return this.#events[this.#head]!.type === start && this.#events[this.#head + 1]!.type === end;
  }

  #checkSimpleKey(): boolean {
    const e = this.#events[this.#head]!;
    let length = 0;
    switch (e.type) {
      case EventType.ALIAS:
        length += utf8Length(this.#anchor);
        break;
      case EventType.SCALAR:
        if (this.#scalarAnalysis.multiline) return false;
        length +=
          utf8Length(this.#anchor) +
          utf8Length(this.#tagHandle) +
          utf8Length(this.#tagSuffix) +
          utf8Length(this.#scalarValue);
        break;
      case EventType.SEQUENCE_START:
        if (!this.#checkEmpty(EventType.SEQUENCE_START, EventType.SEQUENCE_END)) return false;
        length += utf8Length(this.#anchor) + utf8Length(this.#tagHandle) + utf8Length(this.#tagSuffix);
        break;
      case EventType.MAPPING_START:
        if (!this.#checkEmpty(EventType.MAPPING_START, EventType.MAPPING_END)) return false;
        length += utf8Length(this.#anchor) + utf8Length(this.#tagHandle) + utf8Length(this.#tagSuffix);
        break;
      default:
        return false;
    }
    // libyaml counts bytes here.
    return length <= 128;
  }

  #emitScalar(e: Event): void {
    this.#selectScalarStyle(e);
    this.#processAnchor();
    this.#processTag();
    this.#increaseIndent(true, false);
    this.#processScalar();
    this.#popIndent();
    this.#popState();
  }

  #selectScalarStyle(e: Event): void {
    const noTag = this.#tagHandle.length === 0 && this.#tagSuffix.length === 0;
    // With both implicit flags alike, libyaml's later checks of a missing tag
    // with one flag unset (plain → single quotes, a `!` tag) never apply.
    if (noTag && !e.implicit) throw new EmitterError('neither tag nor implicit flags are specified');
    let style = e.scalarStyle;
    if (this.#simpleKeyContext && this.#scalarAnalysis.multiline) style = ScalarStyle.Double;
    if (style === ScalarStyle.Plain) {
      if ((this.#flowLevel > 0 && !this.#scalarAnalysis.flowPlainAllowed) || (this.#flowLevel === 0 && !this.#scalarAnalysis.blockPlainAllowed)) {
        style = ScalarStyle.Single;
      }
      if (this.#scalarValue.length === 0 && (this.#flowLevel > 0 || this.#simpleKeyContext)) style = ScalarStyle.Single;
    }
    if (style === ScalarStyle.Single && !this.#scalarAnalysis.singleQuotedAllowed) style = ScalarStyle.Double;
    if (style === ScalarStyle.Literal || style === ScalarStyle.Folded) {
      if (!this.#scalarAnalysis.blockAllowed || this.#flowLevel > 0 || this.#simpleKeyContext) style = ScalarStyle.Double;
    }
    this.#scalarStyle = style;
  }

  #processAnchor(): void {
    if (!this.#anchor) return;
    this.#writeIndicator(this.#alias ? '*' : '&', true, false, false);
    this.#writeAll(this.#anchor);
    this.#whitespace = false;
    this.#indention = false;
  }

  #processTag(): void {
    const handle = this.#tagHandle;
    const suffix = this.#tagSuffix;
    if (handle.length === 0 && suffix.length === 0) return;
    if (handle.length > 0) {
      if (!this.#whitespace) this.#put(' ');
      this.#writeAll(handle);
      this.#whitespace = false;
      this.#indention = false;
      if (suffix.length > 0) this.#writeTagContent(suffix);
    } else {
      this.#writeIndicator('!<', true, false, false);
      this.#writeTagContent(suffix);
      this.#writeIndicator('>', false, false, false);
    }
  }

  #writeTagContent(value: string): void {
    for (const ch of value) {
      if (/[0-9A-Za-z_\-;/?:@&=+$,.~*'()[\]]/.test(ch)) {
        this.#put(ch);
      } else {
        for (const b of new TextEncoder().encode(ch)) {
          this.#put('%');
          this.#put(b.toString(16).toUpperCase().padStart(2, '0'));
        }
      }
    }
    this.#whitespace = false;
    this.#indention = false;
  }

  #processScalar(): void {
    const v = this.#scalarValue;
    switch (this.#scalarStyle) {
      case ScalarStyle.Plain:
        return this.#writePlainScalar(v);
      case ScalarStyle.Single:
        return this.#writeSingleQuotedScalar(v);
      case ScalarStyle.Double:
        return this.#writeDoubleQuotedScalar(v);
      case ScalarStyle.Literal:
        return this.#writeLiteralScalar(v);
      case ScalarStyle.Folded:
        return this.#writeFoldedScalar(v);
    }
  }

  #writePlainScalar(value: string): void {
    if (value.length > 0 && !this.#whitespace) this.#put(' ');
    let breaks = false;
    // One line (nearly always) is written as is: spaces never fold, as the width is unlimited.
    if (!LINE_BREAK.test(value)) this.#writeAll(value);
    else for (const ch of value) {
      const c = ch.codePointAt(0)!;
      if (isSpace(c)) {
        // Width is unlimited, so spaces never fold.
        this.#put(ch);
      } else if (isBreak(c)) {
        if (!breaks && ch === '\n') this.#putBreak();
        this.#writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.#writeIndent();
        this.#put(ch);
        this.#indention = false;
        breaks = false;
      }
    }
    if (value.length > 0) this.#whitespace = false;
    this.#indention = false;
    if (this.#rootContext) this.#openEnded = true;
  }

  #writeSingleQuotedScalar(value: string): void {
    this.#writeIndicator("'", true, false, false);
    let breaks = false;
    for (const ch of value) {
      const c = ch.codePointAt(0)!;
      if (isSpace(c)) {
        // Width is unlimited, so spaces never fold.
        this.#put(ch);
      } else if (isBreak(c)) {
        if (!breaks && ch === '\n') this.#putBreak();
        this.#writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.#writeIndent();
        if (ch === "'") this.#put("'");
        this.#put(ch);
        this.#indention = false;
        breaks = false;
      }
    }
    this.#writeIndicator("'", false, false, false);
    this.#whitespace = false;
    this.#indention = false;
  }

  #writeDoubleQuotedScalar(value: string): void {
    this.#writeIndicator('"', true, false, false);
    // libyaml quirk: is_bom() looks at the start of the string, so a value
    // starting with U+FEFF has every character escaped.
    const bom = value.codePointAt(0) === 0xfeff;
    for (const ch of value) {
      const c = ch.codePointAt(0)!;
      if (!isPrintable(c) || bom || isBreak(c) || ch === '"' || ch === '\\') {
        this.#put('\\');
        const k = SHORT_ESCAPES.indexOf(ch);
        if (k >= 0) {
          this.#put(SHORT_ESCAPE_LETTERS[k]!);
        } else {
          let w: number;
          if (c <= 0xff) {
            this.#put('x');
            w = 2;
          } else if (c <= 0xffff) {
            this.#put('u');
            w = 4;
          } else {
            this.#put('U');
            w = 8;
          }
          this.#writeAll(c.toString(16).toUpperCase().padStart(w, '0'));
        }
      } else {
        // Width is unlimited, so spaces never fold.
        this.#put(ch);
      }
    }
    this.#writeIndicator('"', false, false, false);
    this.#whitespace = false;
    this.#indention = false;
  }

  #writeBlockScalarHints(value: string): void {
    const v = codePoints(value);
    if (isSpace(v[0]) || isBreak(v[0])) this.#writeIndicator(String(this.#bestIndent), false, false, false);
    this.#openEnded = false;
    let chomp = '';
    if (v.length === 0) {
      chomp = '-';
    } else {
      const last = v.length - 1;
      if (!isBreak(v[last])) chomp = '-';
      else if (last === 0) {
        chomp = '+';
        this.#openEnded = true;
      } else if (isBreak(v[last - 1])) {
        chomp = '+';
        this.#openEnded = true;
      }
    }
    if (chomp) this.#writeIndicator(chomp, false, false, false);
  }

  #writeLiteralScalar(value: string): void {
    this.#writeIndicator('|', true, false, false);
    this.#writeBlockScalarHints(value);
    this.#processLineComment(true);
    this.#whitespace = true;
    let breaks = true;
    for (const ch of value) {
      if (isBreak(ch.codePointAt(0))) {
        this.#writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.#writeIndent();
        this.#put(ch);
        this.#indention = false;
        breaks = false;
      }
    }
  }

  #writeFoldedScalar(value: string): void {
    this.#writeIndicator('>', true, false, false);
    this.#writeBlockScalarHints(value);
    this.#processLineComment(true);
    this.#whitespace = true;
    let breaks = true;
    let leadingSpaces = true;
    const v = [...value];
    for (let i = 0; i < v.length; i++) {
      const ch = v[i]!;
      const c = ch.codePointAt(0)!;
      if (isBreak(c)) {
        if (!breaks && !leadingSpaces && ch === '\n') {
          let k = 0;
          while (isBreak(v[k]?.codePointAt(0))) k++;
          if (!isBlankZ(v[k]?.codePointAt(0))) this.#putBreak();
        }
        this.#writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) {
          this.#writeIndent();
          leadingSpaces = isBlank(c);
        }
        this.#put(ch);
        this.#indention = false;
        breaks = false;
      }
    }
  }
}

/**
 * Characters a double-quoted scalar writes as `\` and one letter (libyaml
 * `yaml_emitter_write_double_quoted_scalar`), and those letters; any other
 * escaped character is written `\xXX`, `\uXXXX` or `\UXXXXXXXX`.
 */
const SHORT_ESCAPES = '\0\x07\b\t\n\x0b\f\r\x1b"\\\u0085\u00a0\u2028\u2029';
const SHORT_ESCAPE_LETTERS = '0abtnvfre"\\N_LP';

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

const SURROGATE_PAIRS = /[\ud800-\udbff][\udc00-\udfff]/g;

/** The number of characters (code points; a lone surrogate is one) in `s`: libyaml's columns. */
function charCount(s: string): number {
  return s.length - (s.match(SURROGATE_PAIRS)?.length ?? 0);
}

/** Line break characters (libyaml `IS_BREAK`). */
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/;

const STYLE_OF: Record<number, ScalarStyle> = {
  [Style.DoubleQuoted]: ScalarStyle.Double,
  [Style.SingleQuoted]: ScalarStyle.Single,
  [Style.Literal]: ScalarStyle.Literal,
  [Style.Folded]: ScalarStyle.Folded,
};

/** Feed a node's events to the emitter as they are made (go-yaml v3's `encoder.node`): a document's events are never all held at once. */
function nodeEvents(node: YamlNode, tail: string, out: Emitter): void {
  let tag = node.tag;
  let forceQuoting = false;
  if (tag !== '' && (node.style & Style.Tagged) === 0) {
    if (node.kind === 'scalar') {
      if (tag === '!!str' && (node.style & (Style.SingleQuoted | Style.DoubleQuoted | Style.Literal | Style.Folded)) !== 0) {
        tag = '';
      } else {
        const rtag = resolveTag(node.value);
        if (rtag === tag) tag = '';
        else if (tag === '!!str') {
          tag = '';
          forceQuoting = true;
        }
      }
    } else if ((node.kind === 'mapping' && tag === '!!map') || (node.kind === 'sequence' && tag === '!!seq')) {
      tag = '';
    }
  }
  switch (node.kind) {
    case 'document':
      out.emit(ev(EventType.DOCUMENT_START, { head: node.headComment }));
      for (const c of node.content) nodeEvents(c, '', out);
      out.emit(ev(EventType.DOCUMENT_END, { foot: node.footComment }));
      return;
    case 'sequence':
      out.emit(
        ev(EventType.SEQUENCE_START, {
          anchor: node.anchor,
          tag: longTag(tag),
          implicit: tag === '',
          flow: (node.style & Style.Flow) !== 0,
          head: node.headComment,
        }),
      );
      for (const c of node.content) nodeEvents(c, '', out);
      out.emit(ev(EventType.SEQUENCE_END, { line: node.lineComment, foot: node.footComment }));
      return;
    case 'mapping': {
      out.emit(
        ev(EventType.MAPPING_START, {
          anchor: node.anchor,
          tag: longTag(tag),
          implicit: tag === '',
          flow: (node.style & Style.Flow) !== 0,
          tail,
          head: node.headComment,
        }),
      );
      // go-yaml moves each key's foot comment to the following key (as a
      // "tail"), so it is written after the whole value of that key.
      let t = '';
      for (let i = 0; i + 1 < node.content.length; i += 2) {
        let k = node.content[i]!;
        const foot = k.footComment;
        if (foot !== '') k = { ...k, footComment: '' };
        nodeEvents(k, t, out);
        t = foot;
        nodeEvents(node.content[i + 1]!, '', out);
      }
      out.emit(ev(EventType.MAPPING_END, { tail: t, line: node.lineComment, foot: node.footComment }));
      return;
    }
    case 'alias':
      out.emit(ev(EventType.ALIAS, { anchor: node.value, head: node.headComment, line: node.lineComment, foot: node.footComment }));
      return;
    case 'scalar': {
      const value = node.value;
      let style: ScalarStyle = ScalarStyle.Plain;
      const explicit = STYLE_OF[node.style & (Style.DoubleQuoted | Style.SingleQuoted | Style.Literal | Style.Folded)];
      if (explicit !== undefined) style = explicit;
      else if (value.includes('\n')) style = ScalarStyle.Literal;
      else if (forceQuoting) style = ScalarStyle.Double;
      const implicit = tag === '';
      out.emit(
        ev(EventType.SCALAR, {
          anchor: node.anchor,
          tag: implicit ? '' : longTag(tag),
          value,
          implicit,
          scalarStyle: style,
          head: node.headComment,
          line: node.lineComment,
          foot: node.footComment,
          tail,
        }),
      );
      return;
    }
  }
}

/**
 * A streaming go-yaml v3 `Encoder` with `SetIndent(indent)`: encode each
 * document node with {@link YamlEncoder.encode}, then {@link YamlEncoder.close}.
 */
export class YamlEncoder {
  readonly #emitter: Emitter;
  constructor(indent: number) {
    this.#emitter = new Emitter(indent);
    this.#emitter.emit(ev(EventType.STREAM_START));
  }
  /** Encode one document (a `document` node, or any node wrapped in an implicit document). */
  encode(node: YamlNode): void {
    const emitter = this.#emitter;
    if (node.kind === 'document') {
      nodeEvents(node, '', emitter);
    } else {
      emitter.emit(ev(EventType.DOCUMENT_START));
      nodeEvents(node, '', emitter);
      emitter.emit(ev(EventType.DOCUMENT_END));
    }
  }
  /** Finish the stream and return the text. */
  close(): string {
    this.#emitter.finish();
    return this.#emitter.out;
  }
}
