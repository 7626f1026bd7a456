// Typed attribute reading against a declared schema: every element declares its attributes, their
// types and defaults. Unknown attributes are warnings (real SafeKit files carry undocumented ones);
// Windows-only attributes are accepted and reported as ignored on Linux; bad values are errors.

import type { XmlAttr, XmlElement } from './xml.js';
import type { ProblemList } from './problems.js';
import { parseTime, type TimeUnit } from './time.js';

export type AttrType =
  | { t: 'string' }
  | { t: 'int'; min?: number; max?: number }
  | { t: 'onoff' }
  | { t: 'yesno' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'time'; unit: TimeUnit };

export interface AttrSpec {
  readonly type: AttrType;
  readonly required?: boolean;
  readonly windowsOnly?: boolean;
  readonly legacy?: boolean;
}

export type Schema = Record<string, AttrSpec>;

export const str: AttrSpec = { type: { t: 'string' } };
export const onoff: AttrSpec = { type: { t: 'onoff' } };
export const int = (min?: number, max?: number): AttrSpec => ({ type: { t: 'int', min, max } });
export const time = (unit: TimeUnit): AttrSpec => ({ type: { t: 'time', unit } });
export const oneOf = (...values: string[]): AttrSpec => ({ type: { t: 'enum', values } });
export const required = (s: AttrSpec): AttrSpec => ({ ...s, required: true });
export const windows = (s: AttrSpec = str): AttrSpec => ({ ...s, windowsOnly: true });
export const legacy = (s: AttrSpec = str): AttrSpec => ({ ...s, legacy: true });

export type AttrValue = string | number | boolean;

/** Reads and checks the attributes of `el`. Values that fail their type are absent from the result. */
export class Attrs {
  private readonly values = new Map<string, AttrValue>();
  constructor(readonly el: XmlElement, schema: Schema, problems: ProblemList) {
    for (const attr of el.attrs) {
      const spec = schema[attr.name];
      if (!spec) {
        problems.warning(attr.pos, `unknown attribute ${attr.name} on <${el.name}> is ignored`, known(schema));
        continue;
      }
      if (spec.windowsOnly) {
        problems.warning(attr.pos, `${attr.name} on <${el.name}> is a Windows-only setting and is ignored on Linux`);
        continue;
      }
      if (spec.legacy) {
        problems.warning(attr.pos, `${attr.name} on <${el.name}> is a legacy attribute and is ignored`, 'remove it');
        continue;
      }
      const v = convert(attr, spec.type, el.name, problems);
      if (v !== undefined) this.values.set(attr.name, v);
    }
    for (const [name, spec] of Object.entries(schema)) {
      if (spec.required && !el.attrs.some((a) => a.name === name)) {
        problems.error(el.pos, `<${el.name}> needs the attribute ${name}`, `add ${name}="…"`);
      }
    }
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  str(name: string, fallback: string): string;
  str(name: string): string | undefined;
  str(name: string, fallback?: string): string | undefined {
    const v = this.values.get(name);
    return v === undefined ? fallback : String(v);
  }

  num(name: string, fallback: number): number {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.values.get(name);
    return typeof v === 'boolean' ? v : fallback;
  }

  pos(name: string): { line: number; col: number } {
    return this.el.attrs.find((a) => a.name === name)?.pos ?? this.el.pos;
  }
}

function known(schema: Schema): string {
  const names = Object.keys(schema).filter((n) => !schema[n].windowsOnly && !schema[n].legacy);
  return names.length ? `known attributes: ${names.join(', ')}` : 'this element takes no attributes';
}

function convert(attr: XmlAttr, type: AttrType, element: string, problems: ProblemList): AttrValue | undefined {
  const raw = attr.value.trim();
  const bad = (what: string, hint: string): undefined => {
    problems.error(attr.pos, `${attr.name}="${attr.value}" on <${element}> ${what}`, hint);
    return undefined;
  };
  switch (type.t) {
    case 'string':
      return attr.value;
    case 'int': {
      if (!/^-?\d{1,15}$/.test(raw)) return bad('is not an integer', `write a whole number, for example ${attr.name}="${type.min ?? 1}"`);
      const n = Number(raw);
      if (type.min !== undefined && n < type.min) return bad(`is below the minimum ${type.min}`, `use a value ≥ ${type.min}`);
      if (type.max !== undefined && n > type.max) return bad(`is above the maximum ${type.max}`, `use a value ≤ ${type.max}`);
      return n;
    }
    case 'onoff':
      if (raw === 'on' || raw === 'off') return raw === 'on';
      return bad('must be on or off', `write ${attr.name}="on" or ${attr.name}="off"`);
    case 'yesno':
      if (raw === 'yes' || raw === 'no') return raw === 'yes';
      return bad('must be yes or no', `write ${attr.name}="yes" or ${attr.name}="no"`);
    case 'enum':
      if (type.values.includes(raw)) return raw;
      return bad(`must be one of ${type.values.join(', ')}`, `write ${attr.name}="${type.values[0]}"`);
    case 'time': {
      const r = parseTime(raw, attr.name, type.unit);
      if (r.ok) return r.ms;
      problems.error(attr.pos, r.message, r.hint);
      return undefined;
    }
  }
}

/** Children of `el` named `name`; other children are reported by the caller's `checkChildren`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** Reports children that `el` does not allow (warnings: SafeKit ignores what it does not know). */
export function checkChildren(el: XmlElement, allowed: readonly string[], problems: ProblemList, context = ''): void {
  for (const c of el.children) {
    if (!allowed.includes(c.name)) {
      problems.warning(c.pos, `<${c.name}> is not expected inside <${el.name}>${context} and is ignored`, allowed.length ? `expected: ${allowed.map((a) => `<${a}>`).join(', ')}` : undefined);
    }
  }
}

/** At most one child named `name`; extra ones are errors. */
export function single(el: XmlElement, name: string, problems: ProblemList): XmlElement | undefined {
  const found = childrenNamed(el, name);
  for (const extra of found.slice(1)) problems.error(extra.pos, `<${name}> appears more than once in <${el.name}>`, `merge them into one <${name}>`);
  return found[0];
}
