// POSIX extended regular expressions (what SafeKit's regexpath, nameregex and argregex are) into
// JavaScript RegExp source. ERE and JS differ: brackets hold classes like [[:alpha:]] and take
// backslash literally; ERE has no \d, \w, \s, \b, back-references, lazy quantifiers or (?…) groups.
// Those are refused with a message that names the construct, instead of silently meaning
// something else.

export type EreResult = { ok: true; js: string } | { ok: false; message: string; index: number };

const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: '0-9A-Za-z', upper: 'A-Z', lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v', blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', print: ' -~', graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f', xdigit: '0-9A-Fa-f', word: '0-9A-Za-z_',
};

const PERL_ESCAPES: Record<string, string> = {
  d: '[[:digit:]]', D: '[^[:digit:]]', w: '[[:alnum:]_]', W: '[^[:alnum:]_]', s: '[[:space:]]',
  S: '[^[:space:]]', b: 'no ERE equivalent', B: 'no ERE equivalent',
};

const SPECIAL_OUTSIDE = new Set(['.', '[', ']', '(', ')', '*', '+', '?', '{', '}', '|', '^', '$', '\\']);

export function ereToJs(ere: string): EreResult {
  let out = '';
  let i = 0;
  let depth = 0;
  let canRepeat = false; // a quantifier needs something before it
  while (i < ere.length) {
    const c = ere[i];
    if (c === '\\') {
      const n = ere[i + 1];
      if (n === undefined) return fail('a trailing backslash escapes nothing', i);
      if (PERL_ESCAPES[n]) return fail(`\\${n} is not POSIX ERE (use ${PERL_ESCAPES[n]})`, i);
      if (/[0-9]/.test(n)) return fail(`back-reference \\${n} is not POSIX ERE`, i);
      if (/[A-Za-z]/.test(n)) return fail(`\\${n} is not POSIX ERE: only special characters may be escaped`, i);
      out += SPECIAL_OUTSIDE.has(n) || n === '/' || n === '-' ? `\\${n}` : escapeLiteral(n);
      i += 2;
      canRepeat = true;
      continue;
    }
    if (c === '[') {
      const r = bracket(ere, i);
      if (!r.ok) return r;
      out += r.js;
      i = r.end;
      canRepeat = true;
      continue;
    }
    if (c === '(') {
      if (ere[i + 1] === '?') return fail('(?…) groups (lookaround, non-capturing, named) are not POSIX ERE', i);
      depth++;
      out += '(';
      i++;
      canRepeat = false;
      continue;
    }
    if (c === ')') {
      if (depth === 0) return fail('")" without a matching "("', i);
      depth--;
      out += ')';
      i++;
      canRepeat = true;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(ere.slice(i));
        if (!m) return fail('"{" must start a bound like {2}, {2,} or {2,5}', i);
        if (m[3] && Number(m[3]) < Number(m[1])) return fail(`bound ${m[0]} has its maximum below its minimum`, i);
        if (!canRepeat) return fail(`bound ${m[0]} repeats nothing`, i);
        out += m[0];
        i += m[0].length;
      } else {
        if (!canRepeat) return fail(`"${c}" repeats nothing`, i);
        out += c;
        i++;
      }
      const next = ere[i];
      if (next === '?' || next === '+' || next === '*') return fail(`"${c}${next}": lazy or possessive quantifiers are not POSIX ERE`, i);
      canRepeat = false;
      continue;
    }
    if (c === '|') { out += '|'; i++; canRepeat = false; continue; }
    if (c === '^' || c === '$') { out += c; i++; canRepeat = false; continue; }
    if (c === '.') { out += '.'; i++; canRepeat = true; continue; }
    out += escapeLiteral(c);
    i++;
    canRepeat = true;
  }
  if (depth > 0) return fail('"(" without a matching ")"', ere.length);
  try {
    new RegExp(out);
  } catch (e) {
    return fail(`not a valid expression (${(e as Error).message})`, 0);
  }
  return { ok: true, js: out };
}

function bracket(ere: string, start: number): (EreResult & { end: number }) | { ok: false; message: string; index: number } {
  let i = start + 1;
  let negate = false;
  if (ere[i] === '^') { negate = true; i++; }
  const items: string[] = [];
  let first = true;
  for (;;) {
    if (i >= ere.length) return fail('"[" without a matching "]"', start);
    const c = ere[i];
    if (c === ']' && !first) { i++; break; }
    first = false;
    if (c === '[' && (ere[i + 1] === ':' || ere[i + 1] === '=' || ere[i + 1] === '.')) {
      const kind = ere[i + 1];
      const close = ere.indexOf(`${kind}]`, i + 2);
      if (close < 0) return fail(`"[${kind}" without a matching "${kind}]"`, i);
      const name = ere.slice(i + 2, close);
      if (kind === ':') {
        const cls = CLASSES[name];
        if (!cls) return fail(`unknown character class [:${name}:]`, i);
        items.push(cls);
      } else {
        if ([...name].length !== 1) return fail(`only single-character [${kind}…${kind}] forms are supported, got "${name}"`, i);
        items.push(escapeInClass(name));
      }
      i = close + 2;
      continue;
    }
    // a range a-z (a "-" first or last is literal)
    if (ere[i + 1] === '-' && ere[i + 2] !== undefined && ere[i + 2] !== ']') {
      const lo = c;
      const hi = ere[i + 2];
      if (lo > hi) return fail(`range ${lo}-${hi} is reversed`, i);
      items.push(`${escapeInClass(lo)}-${escapeInClass(hi)}`);
      i += 3;
      continue;
    }
    items.push(escapeInClass(c)); // in ERE brackets, "\" is an ordinary character
    i++;
  }
  return { ok: true, js: `[${negate ? '^' : ''}${items.join('')}]`, end: i };
}

function escapeLiteral(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function escapeInClass(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}

function fail(message: string, index: number): { ok: false; message: string; index: number } {
  return { ok: false, message, index };
}
