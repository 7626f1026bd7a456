// A small, strict XML reader that keeps the line and column of every element and attribute, so
// each configuration problem can point at its place. It reads what SafeKit files contain:
// the XML declaration, DOCTYPE, comments, elements, attributes, CDATA sections, text and the five
// predefined entities plus numeric character references. It never throws on bad input: it records
// a problem and recovers, so a file with several mistakes reports them all.
// (fast-xml-parser does not report attribute positions; see docs/decisions/0001-own-xml-reader.md.)

import { ProblemList, type Position } from './problems.js';

export interface XmlAttr {
  readonly name: string;
  readonly value: string;
  readonly pos: Position;
}

export interface XmlElement {
  readonly name: string;
  readonly pos: Position;
  readonly attrs: XmlAttr[];
  readonly children: XmlElement[];
  /** CDATA sections, in order (failover rules live there). */
  readonly cdata: { readonly text: string; readonly pos: Position }[];
  /** Concatenated non-whitespace character data. */
  text: string;
}

const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[A-Za-z0-9_:.-]/;
const MAX_DEPTH = 64;

export function parseXml(source: string, problems: ProblemList): XmlElement | null {
  return new Reader(source, problems).document();
}

class Reader {
  private i = 0;
  private line = 1;
  private col = 1;
  constructor(private readonly s: string, private readonly problems: ProblemList) {}

  document(): XmlElement | null {
    if (this.s.charCodeAt(0) === 0xfeff) this.i = 1;
    let root: XmlElement | null = null;
    while (this.i < this.s.length) {
      this.skipSpace();
      if (this.i >= this.s.length) break;
      if (this.startsWith('<?')) this.skipUntil('?>', 'processing instruction');
      else if (this.startsWith('<!--')) this.skipUntil('-->', 'comment');
      else if (this.startsWith('<!DOCTYPE') || this.startsWith('<!doctype')) this.skipDoctype();
      else if (this.peek() === '<' && NAME_START.test(this.s[this.i + 1] ?? '')) {
        const el = this.element(0);
        if (root === null) root = el;
        else if (el) this.problems.error(el.pos, `a second root element <${el.name}> after <${root.name}>`, 'keep one root element per file');
      } else {
        const at = this.pos();
        this.problems.error(at, `unexpected text ${JSON.stringify(this.s.slice(this.i, this.i + 12))} outside the root element`, 'remove it, or put it inside an element');
        this.advance(1); // always make progress, even on a "<" that starts nothing
        this.skipTo('<');
      }
    }
    if (root === null) this.problems.error(this.pos(), 'no root element found', 'the file must contain <safe>…</safe> or <cluster>…</cluster>');
    return root;
  }

  private element(depth: number): XmlElement | null {
    const pos = this.pos();
    this.advance(1); // <
    const name = this.name();
    const el: XmlElement = { name, pos, attrs: [], children: [], cdata: [], text: '' };
    if (depth > MAX_DEPTH) {
      this.problems.error(pos, `elements nested deeper than ${MAX_DEPTH} levels`, 'configuration files are shallow; check for unclosed elements');
      this.i = this.s.length;
      return el;
    }
    // attributes
    for (;;) {
      this.skipSpace();
      if (this.i >= this.s.length) {
        this.problems.error(pos, `<${name}> is not closed: the file ends inside its start tag`, `add ">" or "/>" to close <${name}>`);
        return el;
      }
      if (this.startsWith('/>')) { this.advance(2); return el; }
      if (this.peek() === '>') { this.advance(1); break; }
      if (!NAME_START.test(this.peek())) {
        this.problems.error(this.pos(), `unexpected ${JSON.stringify(this.peek())} in the start tag of <${name}>`, 'attributes are written name="value"');
        this.skipTo('>');
        if (this.peek() === '>') { this.advance(1); break; }
        return el;
      }
      const attr = this.attribute(name);
      if (attr) {
        if (el.attrs.some((a) => a.name === attr.name)) this.problems.error(attr.pos, `attribute ${attr.name} is given twice on <${name}>`, 'keep one of them');
        else el.attrs.push(attr);
      }
    }
    // content
    for (;;) {
      if (this.i >= this.s.length) {
        this.problems.error(pos, `<${name}> is never closed`, `add </${name}>`);
        return el;
      }
      if (this.startsWith('</')) {
        const closePos = this.pos();
        this.advance(2);
        const closing = this.name();
        this.skipSpace();
        if (this.peek() === '>') this.advance(1);
        else this.problems.error(this.pos(), `expected ">" to end </${closing}>`);
        if (closing !== name) this.problems.error(closePos, `</${closing}> closes <${name}> opened at line ${pos.line}`, `close <${name}> with </${name}>`);
        return el;
      }
      if (this.startsWith('<!--')) { this.skipUntil('-->', 'comment'); continue; }
      if (this.startsWith('<![CDATA[')) {
        const at = this.pos();
        this.advance(9);
        const end = this.s.indexOf(']]>', this.i);
        const stop = end < 0 ? this.s.length : end;
        el.cdata.push({ text: this.s.slice(this.i, stop), pos: at });
        this.advance(stop - this.i);
        if (end < 0) this.problems.error(at, 'CDATA section is never closed', 'end it with ]]>');
        else this.advance(3);
        continue;
      }
      if (this.startsWith('<?')) { this.skipUntil('?>', 'processing instruction'); continue; }
      if (this.peek() === '<') {
        if (NAME_START.test(this.s[this.i + 1] ?? '')) {
          const child = this.element(depth + 1);
          if (child) el.children.push(child);
        } else {
          this.problems.error(this.pos(), `a "<" that starts no element inside <${name}>`, 'write &lt; for a literal "<"');
          this.advance(1);
        }
        continue;
      }
      const textStart = this.pos();
      const start = this.i;
      this.skipTo('<');
      const text = this.decode(this.s.slice(start, this.i), textStart).trim();
      if (text) el.text += (el.text ? ' ' : '') + text;
    }
  }

  private attribute(element: string): XmlAttr | null {
    const pos = this.pos();
    const name = this.name();
    this.skipSpace();
    if (this.peek() !== '=') {
      this.problems.error(this.pos(), `attribute ${name} of <${element}> has no value`, `write ${name}="…"`);
      return null;
    }
    this.advance(1);
    this.skipSpace();
    const quote = this.peek();
    if (quote !== '"' && quote !== "'") {
      this.problems.error(this.pos(), `the value of ${name} on <${element}> is not quoted`, `write ${name}="…"`);
      while (this.i < this.s.length && !/[\s>/]/.test(this.peek())) this.advance(1);
      return null;
    }
    this.advance(1);
    const valueStart = this.pos();
    const end = this.s.indexOf(quote, this.i);
    if (end < 0) {
      this.problems.error(pos, `the value of ${name} on <${element}> is never closed`, `add the closing ${quote}`);
      this.advance(this.s.length - this.i);
      return null;
    }
    const raw = this.s.slice(this.i, end);
    this.advance(end - this.i + 1);
    if (raw.includes('<')) this.problems.error(valueStart, `"<" inside the value of ${name}`, 'XML attributes cannot hold "<"; write &lt;');
    return { name, value: this.decode(raw, valueStart), pos };
  }

  private decode(raw: string, at: Position): string {
    if (!raw.includes('&')) return raw;
    return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);?/g, (whole, body: string) => {
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
      if (body.startsWith('#')) {
        const code = body[1] === 'x' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
        if (Number.isFinite(code) && code > 0 && code <= 0x10ffff && whole.endsWith(';')) return String.fromCodePoint(code);
      } else if (named[body] !== undefined && whole.endsWith(';')) return named[body];
      this.problems.error(at, `unknown or unterminated entity ${whole}`, 'write &amp; for a literal "&"');
      return whole;
    });
  }

  private name(): string {
    const start = this.i;
    if (NAME_START.test(this.peek())) {
      this.advance(1);
      while (this.i < this.s.length && NAME_CHAR.test(this.peek())) this.advance(1);
    }
    if (start === this.i) this.problems.error(this.pos(), 'expected a name');
    return this.s.slice(start, this.i);
  }

  private skipDoctype(): void {
    // DOCTYPE may carry an internal subset in brackets; SafeKit files use the bare `<!DOCTYPE safe>`.
    let depth = 0;
    const at = this.pos();
    while (this.i < this.s.length) {
      const c = this.peek();
      this.advance(1);
      if (c === '[') depth++;
      else if (c === ']') depth--;
      else if (c === '>' && depth <= 0) return;
    }
    this.problems.error(at, 'DOCTYPE is never closed', 'end it with ">"');
  }

  private skipUntil(end: string, what: string): void {
    const at = this.pos();
    const idx = this.s.indexOf(end, this.i + 2);
    if (idx < 0) {
      this.problems.error(at, `${what} is never closed`, `end it with ${end}`);
      this.advance(this.s.length - this.i);
    } else this.advance(idx + end.length - this.i);
  }

  private skipTo(c: string): void {
    const idx = this.s.indexOf(c, this.i);
    this.advance((idx < 0 ? this.s.length : idx) - this.i);
  }

  private skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.peek())) this.advance(1);
  }

  private startsWith(t: string): boolean {
    return this.s.startsWith(t, this.i);
  }

  private peek(): string {
    return this.s[this.i] ?? '';
  }

  private pos(): Position {
    return { line: this.line, col: this.col };
  }

  private advance(n: number): void {
    for (let k = 0; k < n && this.i < this.s.length; k++) {
      if (this.s[this.i] === '\n') { this.line++; this.col = 1; } else this.col++;
      this.i++;
    }
  }
}
