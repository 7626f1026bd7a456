// <user>/<var>, <vhost>/<virtualhostname> and <errd>/<proc>.

import type { ProcCheck, UserConfig } from '../shared/config.js';
import { Attrs, checkChildren, childrenNamed, int, oneOf, required, str, time, type Schema } from './attrs.js';
import type { ProblemList } from './problems.js';
import type { XmlElement } from './xml.js';
import { ereToJs } from './ere.js';
import type { TimingProfile } from './timing.js';

const USER: Schema = { nicestoptimeout: time('s'), forcestoptimeout: time('s'), logging: oneOf('userlog', 'none'), userlogsize: int(1) };
const PROC: Schema = {
  name: required(str), service: oneOf('yes', 'no'), nameregex: str, argregex: str, atleast: int(-1), atmax: int(-1),
  action: str, restart_services: str, class: required(str), start_after: int(0),
};

export function readUser(el: XmlElement, problems: ProblemList): UserConfig {
  const a = new Attrs(el, USER, problems);
  checkChildren(el, ['var'], problems);
  const vars: { name: string; value: string }[] = [];
  for (const v of childrenNamed(el, 'var')) {
    const va = new Attrs(v, { name: required(str), value: required(str) }, problems);
    const name = va.str('name');
    if (name === undefined) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problems.error(va.pos('name'), `variable name "${name}" cannot be exported to a script environment`, 'use letters, digits and "_", not starting with a digit');
    if (/^SAFE/.test(name)) problems.warning(va.pos('name'), `variable ${name} shadows a variable tandem exports to scripts`);
    vars.push({ name, value: va.str('value', '') });
  }
  return {
    nicestoptimeoutMs: a.num('nicestoptimeout', 300_000), forcestoptimeoutMs: a.num('forcestoptimeout', 300_000),
    logging: a.str('logging', 'userlog') as UserConfig['logging'], userlogsizeKB: a.num('userlogsize', 2048), vars,
  };
}

export function readVhost(el: XmlElement, problems: ProblemList): { name: string; envfile: string; when: string }[] {
  new Attrs(el, {}, problems);
  checkChildren(el, ['virtualhostname'], problems);
  return childrenNamed(el, 'virtualhostname').map((v) => {
    const a = new Attrs(v, { name: required(str), envfile: required(str), when: oneOf('prim', 'second', 'both') }, problems);
    return { name: a.str('name', ''), envfile: a.str('envfile', ''), when: a.str('when', 'prim') };
  });
}

export function readErrd(el: XmlElement, profile: TimingProfile, problems: ProblemList): { polltimerMs: number; procs: ProcCheck[] } {
  const a = new Attrs(el, { polltimer: time('s') }, problems);
  checkChildren(el, ['proc'], problems);
  const procs: ProcCheck[] = [];
  for (const p of childrenNamed(el, 'proc')) {
    const pa = new Attrs(p, PROC, problems);
    const name = pa.str('name');
    const cls = pa.str('class');
    if (name === undefined || cls === undefined) continue;
    const service = pa.str('service', 'no') === 'yes';
    if (!service && !pa.has('nameregex') && name.length > 15) problems.warning(pa.pos('name'), `process name "${name}" is longer than 15 characters; Linux shows only the first 15`, 'use nameregex to match the full command name');
    for (const attr of ['nameregex', 'argregex'] as const) {
      const re = pa.str(attr);
      if (re === undefined) continue;
      const r = ereToJs(re);
      if (!r.ok) problems.error(pa.pos(attr), `${attr} "${re}": ${r.message}`, `${attr} is a POSIX extended regular expression`);
    }
    const action = pa.str('action', 'stopstart');
    const atleast = pa.num('atleast', 1);
    const atmax = pa.num('atmax', -1);
    if (atleast === -1 && atmax === -1) problems.error(p.pos, `<proc name="${name}"> disables both atleast and atmax: it can never fire`, 'set atleast="1" (at least one instance) or atmax');
    const handler = !['restart', 'stopstart', 'stop', 'noaction'].includes(action);
    const standardClass = ['prim', 'both', 'pre', 'second', 'sec'].includes(cls);
    if (handler && standardClass) {
      problems.warning(pa.pos('action'), `action "${action}" is a handler executable; SafeKit requires handlers to have their own class`, 'give the proc a custom class name');
    }
    if (service && name.length > 63) problems.error(pa.pos('name'), `service name "${name}" is longer than 63 characters`);
    procs.push({ name, service, nameregex: pa.str('nameregex'), argregex: pa.str('argregex'), atleast, atmax, action, cls, startAfter: pa.num('start_after', 0) });
  }
  return { polltimerMs: a.num('polltimer', profile.errdPollMs), procs };
}
