// userconfig.xml (SAFEKIT-BEHAVIOUR §5): parse → normalize (macros, defaults, derived ports and
// rules) → validate (cross-field, and against cluster.xml when given). Pure: the caller reads files
// and passes the text; the environment for %VAR% macros is an explicit input.

import type { ClusterConfig, ModuleConfig } from '../shared/config.js';
import type { ModuleMode } from '../shared/states.js';
import { Attrs, checkChildren, childrenNamed, int, oneOf, required, single, str, time, windows, type Schema } from './attrs.js';
import { ProblemList } from './problems.js';
import { parseXml, type XmlElement } from './xml.js';
import { expandMacros } from './macros.js';
import { readHeart, readFarm } from './section-heart.js';
import { readVip } from './section-vip.js';
import { readRfs } from './section-rfs.js';
import { readUser, readVhost, readErrd } from './section-user.js';
import { readCheckers } from './section-check.js';
import { readFailover } from './section-failover.js';
import { validateModule } from './validate.js';
import { parseRules } from './rules-parse.js';
import { DEFAULT_TIMING, TIMING_PROFILES, type TimingName } from './timing.js';

/**
 * With syncdelta > 1 minute a copy synchronised recently enough may lead when the peer is gone
 * (SAFEKIT-BEHAVIOUR §2.6.3); the `rfs.synced` resource says whether the last sync is that recent.
 */
const SYNCDELTA_RULE = (() => {
  const r = parseRules('rfs_forceuptodate: if (heartbeat.* == down && cluster() == down && rfs.synced == up && rfs.uptodate == down) then rfs.uptodate=up;', { line: 1, col: 1 });
  return { ...r.rules[0], origin: 'builtin' as const };
})();

const SERVICE: Schema = {
  mode: required(oneOf('mirror', 'farm', 'light')),
  boot: oneOf('ignore', 'on', 'off', 'auto'),
  boot_delay: time('s'),
  failover: oneOf('on', 'off'),
  defaultprim: str,
  maxloop: int(0, 1_000_000),
  loop_interval: time('h'),
  automatic_reboot: oneOf('on', 'off'),
  // tandem's own: the defaults for every timing left out (config/timing.ts)
  timing: oneOf(...Object.keys(TIMING_PROFILES)),
  // Windows-only and legacy knobs seen in shipped files
  service_timeout: windows(),
};

const CHILDREN: Record<ModuleMode, readonly string[]> = {
  mirror: ['heart', 'rfs', 'vip', 'user', 'vhost', 'errd', 'check', 'failover'],
  farm: ['farm', 'vip', 'user', 'vhost', 'errd', 'check', 'failover'],
  light: ['user', 'vhost', 'errd', 'check', 'failover'],
};

export interface ModuleCheckOptions {
  /** Module name (directory name under modules/); "AM" when unknown. */
  readonly name?: string;
  /** Module id (ports derive from it); 1 when unknown. */
  readonly id?: number;
  /** The applied cluster, for cross-file checks. */
  readonly cluster?: ClusterConfig;
  /** The nodes the module is installed on, when known. */
  readonly installedOn?: readonly string[];
  /** Environment for %NAME% macros; absent ⇒ unresolved names are reported, not read from the host. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ModuleResult {
  readonly config: ModuleConfig | null;
  readonly problems: ProblemList;
}

export function parseUserConfig(source: string, file: string, options: ModuleCheckOptions = {}): ModuleResult {
  const problems = new ProblemList(file);
  const root = parseXml(source, problems);
  if (!root) return { config: null, problems };
  if (root.name !== 'safe') {
    problems.error(root.pos, `the root element is <${root.name}>, expected <safe>`, 'a module configuration starts with <safe>');
    return { config: null, problems };
  }
  new Attrs(root, {}, problems);
  expandMacros(root, problems, options.env);
  checkChildren(root, ['macro', 'service'], problems);
  const serviceEls = childrenNamed(root, 'service');
  if (serviceEls.length !== 1) {
    problems.error(serviceEls[1]?.pos ?? root.pos, serviceEls.length === 0 ? '<safe> has no <service>' : '<service> appears more than once', 'write exactly one <service mode="mirror|farm|light">');
    if (serviceEls.length === 0) return { config: null, problems };
  }
  const config = readService(serviceEls[0], problems, options);
  if (config) validateModule(config, serviceEls[0], problems, options);
  return { config: problems.hasErrors ? null : config, problems };
}

function readService(el: XmlElement, problems: ProblemList, options: ModuleCheckOptions): ModuleConfig | null {
  const a = new Attrs(el, SERVICE, problems);
  const mode = a.str('mode') as ModuleMode | undefined;
  if (!mode) return null;
  checkChildren(el, CHILDREN[mode], problems, ` of a ${mode} module`);
  const id = options.id ?? 1;
  const timing = a.str('timing', DEFAULT_TIMING) as TimingName;
  const profile = TIMING_PROFILES[timing];
  if (mode !== 'mirror') {
    for (const attr of ['failover', 'defaultprim'] as const) {
      if (a.has(attr)) problems.warning(a.pos(attr), `${attr} only applies to mirror modules and is ignored for mode="${mode}"`);
    }
  }
  const heartEl = mode === 'mirror' ? single(el, 'heart', problems) : undefined;
  const farmEl = mode === 'farm' ? single(el, 'farm', problems) : undefined;
  const heart = mode === 'mirror' ? readHeart(heartEl, el, id, profile, problems) : undefined;
  const farm = farmEl ? readFarm(farmEl, id, problems) : undefined;
  if (mode === 'farm' && !farmEl) problems.error(el.pos, 'a farm module needs <farm> with at least one <lan>', 'add <farm><lan name="default"/></farm>');
  const rfsEl = mode === 'mirror' ? single(el, 'rfs', problems) : undefined;
  const rfs = rfsEl ? readRfs(rfsEl, heart?.heartbeats ?? [], problems) : undefined;
  const vipEl = mode !== 'light' ? single(el, 'vip', problems) : undefined;
  const vip = vipEl ? readVip(vipEl, mode, problems) : undefined;
  const userEl = single(el, 'user', problems);
  const user = userEl ? readUser(userEl, problems) : undefined;
  const errdEl = single(el, 'errd', problems);
  const errd = errdEl ? readErrd(errdEl, profile, problems) : undefined;
  if (errdEl && !userEl) problems.error(errdEl.pos, '<errd> needs <user> in the same module', 'add <user/> so that the module runs scripts and process monitoring');
  const vhostEl = single(el, 'vhost', problems);
  const checkEl = single(el, 'check', problems);
  const checkers = readCheckers(checkEl, vip, mode, profile, problems);
  const failoverEl = single(el, 'failover', problems);
  const failoverRules = readFailover(failoverEl, checkers, profile, problems);
  if (rfs && rfs.syncdeltaMin > 1) failoverRules.rules.unshift(SYNCDELTA_RULE);
  return {
    name: options.name ?? 'AM',
    id,
    mode,
    timing,
    boot: (a.str('boot', 'ignore') as ModuleConfig['boot']),
    bootDelayMs: a.num('boot_delay', 0),
    failover: a.str('failover', 'on') === 'on',
    defaultprim: a.str('defaultprim', 'alone'),
    maxloop: a.num('maxloop', 3),
    loopIntervalMs: a.num('loop_interval', 24 * 3_600_000),
    automaticReboot: a.str('automatic_reboot', 'off') === 'on',
    heart,
    farm,
    vip,
    rfs,
    user,
    vhost: vhostEl ? readVhost(vhostEl, problems) : [],
    errd,
    checkers,
    failoverRules,
    nodes: [],
    ports: {
      heart: heart?.port,
      rfs: mode === 'mirror' ? 5600 + (id - 1) * 4 : undefined,
      farm: farm?.port,
    },
  };
}
