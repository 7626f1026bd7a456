// <check>: tcp, ping, intf, ip, custom, module and splitbrain checkers, plus the checkers that
// <interface check="on"> and <virtual_addr check="on"> generate (SAFEKIT-BEHAVIOUR §5.11).

import type { Checker, VipConfig, WhenClass } from '../shared/config.js';
import type { RuleAction } from '../shared/rules.js';
import type { ModuleMode } from '../shared/states.js';
import { Attrs, checkChildren, childrenNamed, int, oneOf, str, time, type Schema } from './attrs.js';
import type { ProblemList } from './problems.js';
import type { XmlElement } from './xml.js';
import { ipv4ToInt, isIpv4, netmaskPrefix } from './net.js';
import type { TimingProfile } from './timing.js';

type Kind = Checker['type'];
const KINDS: readonly Kind[] = ['tcp', 'ping', 'intf', 'ip', 'custom', 'module', 'splitbrain'];
const WHEN = ['pre', 'prim', 'second', 'sec', 'both'] as const;
const ACTIONS = ['stop', 'stopstart', 'wait', 'restart', 'swap', 'noaction'] as const;

/** Default `when` and action per kind, and which actions a `when=pre` checker may take. */
const DEFAULTS: Record<Kind, { when: WhenClass; action: RuleAction }> = {
  tcp: { when: 'prim', action: 'restart' },
  ping: { when: 'pre', action: 'wait' },
  intf: { when: 'pre', action: 'wait' },
  ip: { when: 'prim', action: 'stopstart' },
  custom: { when: 'pre', action: 'noaction' },
  module: { when: 'pre', action: 'wait' },
  splitbrain: { when: 'pre', action: 'wait' },
};

const CHECKER: Schema = { ident: str, when: oneOf(...WHEN), action: oneOf(...ACTIONS), exec: str, arg: str, name: str };
const TO: Schema = { addr: str, port: int(1, 65535), interval: time('s'), timeout: time('s'), local_addr: str, secure: oneOf('on', 'off') };

export function readCheckers(el: XmlElement | undefined, vip: VipConfig | undefined, mode: ModuleMode, profile: TimingProfile, problems: ProblemList): Checker[] {
  const checkers: Checker[] = [];
  if (el) {
    new Attrs(el, {}, problems);
    checkChildren(el, [...KINDS], problems);
    for (const c of el.children.filter((x) => (KINDS as readonly string[]).includes(x.name))) {
      const checker = readChecker(c, mode, profile, problems);
      if (!checker) continue;
      if (checkers.some((x) => x.resource === checker.resource)) problems.error(c.pos, `two checkers set the resource ${checker.resource}`, 'give each checker its own ident');
      else checkers.push(checker);
    }
    if (childrenNamed(el, 'splitbrain').length > 1) problems.error(childrenNamed(el, 'splitbrain')[1].pos, 'only one <splitbrain> checker is allowed');
  }
  for (const iface of vip?.interfaces ?? []) {
    for (const va of iface.addrs) {
      if (iface.check && isIpv4(va.addr)) {
        const ident = networkIdent(va.addr, va.netmask) ?? iface.name ?? va.addr;
        if (!checkers.some((x) => x.resource === `intf.${ident}`)) {
          checkers.push({ type: 'intf', ident, resource: `intf.${ident}`, when: 'pre', action: 'wait', intervalMs: profile.checkIntervalMs, timeoutMs: profile.checkTimeoutMs, target: { network: ident, ...(iface.name ? { interface: iface.name } : {}) } });
        }
      }
      if (va.check && !checkers.some((x) => x.resource === `ip.${va.addr}`)) {
        checkers.push({ type: 'ip', ident: va.addr, resource: `ip.${va.addr}`, when: mode === 'farm' ? 'both' : 'prim', action: 'stopstart', intervalMs: profile.checkIntervalMs, timeoutMs: profile.checkTimeoutMs, target: { addr: va.addr } });
      }
    }
  }
  return checkers;
}

function networkIdent(addr: string, netmask: string | undefined): string | null {
  const prefix = netmask === undefined ? null : netmaskPrefix(netmask);
  if (prefix === null) return null;
  const net = (ipv4ToInt(addr) & (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
  return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.');
}

function readChecker(el: XmlElement, mode: ModuleMode, profile: TimingProfile, problems: ProblemList): Checker | null {
  const kind = el.name as Kind;
  const a = new Attrs(el, CHECKER, problems);
  checkChildren(el, kind === 'custom' || kind === 'splitbrain' ? [] : ['to'], problems);
  const d = DEFAULTS[kind];
  const when = (a.str('when') ?? d.when) as WhenClass;
  const action = (a.str('action') ?? d.action) as RuleAction;
  const toEls = childrenNamed(el, 'to');
  const to = toEls[0] ? new Attrs(toEls[0], TO, problems) : undefined;
  let ident = a.str('ident');
  const target: Record<string, string> = {};
  const need = (attr: string): string | undefined => {
    const v = to?.str(attr);
    if (v === undefined) problems.error(toEls[0]?.pos ?? el.pos, `<${kind}> needs <to ${attr}="…"/>`, `add the ${attr} the checker must test`);
    return v;
  };
  switch (kind) {
    case 'tcp': target.addr = need('addr') ?? ''; target.port = need('port') ?? ''; break;
    case 'ping': target.addr = need('addr') ?? ''; break;
    case 'intf': target.local_addr = need('local_addr') ?? ''; break;
    case 'ip': target.addr = need('addr') ?? ''; break;
    case 'custom': {
      const exec = a.str('exec');
      if (exec === undefined) problems.error(el.pos, '<custom> needs exec="…" (the checker program)', 'exec is relative to the module bin directory or absolute');
      target.exec = exec ?? '';
      target.arg = a.str('arg', '');
      if (!a.has('when')) problems.error(el.pos, '<custom> needs when="pre|prim|second|both"');
      break;
    }
    case 'module': {
      const name = a.str('name');
      if (name === undefined) problems.error(el.pos, '<module> needs name="…" (the module to watch)');
      target.name = name ?? '';
      target.addr = to?.str('addr') ?? '127.0.0.1';
      target.port = String(to?.num('port', 0) || (to?.str('secure') === 'on' ? 9453 : 9010));
      target.secure = to?.str('secure', 'off') ?? 'off';
      ident ??= `${target.name}_${target.addr}`;
      break;
    }
    case 'splitbrain': {
      if (mode !== 'mirror') problems.error(el.pos, '<splitbrain> only applies to mirror modules');
      const arg = a.str('arg', '').trim();
      if (!arg) problems.error(el.pos, '<splitbrain> needs arg="witness1 witness2 …"', 'list the addresses to ping when every heartbeat is lost');
      target.witnesses = arg;
      target.exec = a.str('exec', 'ping');
      break;
    }
  }
  if (ident === undefined) {
    problems.error(el.pos, `<${kind}> needs ident="…"`, `the ident names the resource ${kind}.<ident>`);
    return null;
  }
  if (!/^[A-Za-z0-9_.:-]+$/.test(ident)) problems.error(a.pos('ident'), `ident "${ident}" is not a valid resource id`, 'use letters, digits, ".", ":", "_" and "-"');
  // which actions make sense for which `when` (SAFEKIT-BEHAVIOUR §5.11)
  if (when === 'pre' && !['wait', 'noaction'].includes(action) && ['tcp', 'ping', 'custom'].includes(kind)) {
    problems.error(a.pos('action'), `a when="pre" ${kind} checker can only wait or noaction, not ${action}`, 'use action="wait", or when="prim|second|both"');
  }
  if (when !== 'pre' && action === 'wait' && ['tcp', 'ping', 'custom'].includes(kind)) {
    problems.error(a.pos('action'), `action="wait" needs when="pre"`, 'use when="pre", or another action (restart, stopstart, stop, noaction)');
  }
  if (mode !== 'mirror' && (when === 'second' || when === 'sec' || when === 'prim')) {
    problems.error(a.pos('when'), `when="${when}" needs a mirror module; a ${mode} module uses when="both" or "pre"`);
  }
  if (mode !== 'mirror' && action === 'swap') problems.error(a.pos('action'), 'action="swap" needs a mirror module');
  return {
    type: kind, ident, resource: kind === 'splitbrain' ? `splitbrain.${ident}` : `${kind}.${ident}`, when, action,
    intervalMs: to?.num('interval', profile.checkIntervalMs) ?? profile.checkIntervalMs, timeoutMs: to?.num('timeout', profile.checkTimeoutMs) ?? profile.checkTimeoutMs, target,
  };
}
