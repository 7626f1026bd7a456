// <macro name="ID" value="…"/>: every %ID% in attribute values and rule text is replaced by the
// value; %NAME% may also name an environment variable (a macro wins over it). Without an explicit
// environment, names that are not macros are left as written and reported, because validation must
// not depend on the host it runs on.

import { Attrs, required, str } from './attrs.js';
import type { ProblemList } from './problems.js';
import type { XmlAttr, XmlElement } from './xml.js';

export function expandMacros(root: XmlElement, problems: ProblemList, env?: Readonly<Record<string, string>>): void {
  const macros = new Map<string, string>();
  for (const m of root.children.filter((c) => c.name === 'macro')) {
    const a = new Attrs(m, { name: required(str), value: required(str) }, problems);
    const name = a.str('name');
    if (name === undefined) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problems.error(a.pos('name'), `macro name "${name}" is not an identifier`, 'use letters, digits and "_"');
    if (macros.has(name)) problems.warning(a.pos('name'), `macro ${name} is defined twice; the last value wins`);
    macros.set(name, a.str('value', ''));
  }
  const reported = new Set<string>();
  const replace = (text: string, at: { line: number; col: number }): string =>
    text.replace(/%([A-Za-z_][A-Za-z0-9_]*)%/g, (whole, name: string) => {
      const v = macros.get(name) ?? env?.[name];
      if (v !== undefined) return v;
      if (!reported.has(name)) {
        reported.add(name);
        problems.warning(at, `%${name}% is not a macro of this file; it will be read from the environment when the module is configured`, `define <macro name="${name}" value="…"/> to make the file self-contained`);
      }
      return whole;
    });
  const walk = (el: XmlElement): void => {
    if (el.name !== 'macro') {
      el.attrs.forEach((attr, i) => {
        (el.attrs as XmlAttr[])[i] = { ...attr, value: replace(attr.value, attr.pos) };
      });
      el.cdata.forEach((c, i) => { el.cdata[i] = { ...c, text: replace(c.text, c.pos) }; });
    }
    el.children.forEach(walk);
  };
  walk(root);
}
