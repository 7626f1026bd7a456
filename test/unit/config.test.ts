// Configuration: templates load, bad files report every problem with line:col, units and ERE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseClusterXml } from '../../src/config/cluster.js';
import { parseUserConfig } from '../../src/config/userconfig.js';
import { parseTime } from '../../src/config/time.js';
import { ereToJs } from '../../src/config/ere.js';

const cluster = parseClusterXml(readFileSync('templates/cluster.xml', 'utf8'), 'cluster.xml').config!;

test('every shipped template loads without errors', () => {
  assert.ok(cluster, 'templates/cluster.xml is valid');
  for (const t of ['mirror', 'farm', 'customchecker']) {
    const file = `templates/${t}/conf/userconfig.xml`;
    const r = parseUserConfig(readFileSync(file, 'utf8'), file, { cluster, installedOn: t === 'mirror' ? ['n1', 'n2'] : undefined });
    assert.deepEqual(r.problems.items.filter((p) => p.severity === 'error'), [], file);
    assert.ok(r.config, file);
  }
});

test('mirror template: defaults, derived ports and generated rules', () => {
  const r = parseUserConfig(readFileSync('templates/mirror/conf/userconfig.xml', 'utf8'), 'u.xml', { id: 3, cluster, installedOn: ['n1', 'n2'] });
  const c = r.config!;
  assert.equal(c.ports.heart, 8890);
  assert.equal(c.ports.rfs, 5608);
  assert.equal(c.timing, 'tandem');
  assert.equal(c.heart!.heartbeats[0].pulseMs, 100);
  assert.equal(c.heart!.heartbeats[0].timeoutMs, 700);
  assert.equal(c.rfs!.flowLan, 'repli');
  assert.equal(c.rfs!.replicated[0].dir, '/var/lib/tandem-demo/data');
  assert.deepEqual(c.failoverRules.rules.map((x) => x.name), ['interface_failure', 'ip_failure', 't_app']);
  assert.ok(c.checkers.some((k) => k.resource === 'intf.10.77.0.0'));
  assert.ok(c.checkers.some((k) => k.resource === 'ip.10.77.0.100'));
});

test('timing profiles: tandem by default, SafeKit one attribute away, fast scales checkers and rules, written values win', () => {
  const module = (service: string, heart = '') => parseUserConfig(`<safe><service mode="mirror" ${service}><heart ${heart}><heartbeat name="default"/></heart>
    <check><ping ident="gw"><to addr="10.0.0.1"/></ping></check></service></safe>`, 'u.xml', { cluster }).config!;
  const beat = (c: ReturnType<typeof module>) => [c.heart!.heartbeats[0].pulseMs, c.heart!.heartbeats[0].timeoutMs];
  assert.deepEqual(beat(module('')), [100, 700]);
  const safekit = module('timing="safekit"');
  assert.deepEqual(beat(safekit), [700, 30_000]);
  assert.equal(safekit.checkers[0].intervalMs, 10_000);
  const fast = module('timing="fast"');
  assert.deepEqual(beat(fast), [50, 250]);
  assert.deepEqual([fast.checkers[0].intervalMs, fast.failoverRules.periodMs, fast.failoverRules.handleTimeMs], [1000, 200, 600]);
  assert.deepEqual(beat(module('timing="safekit"', 'pulse="200ms"')), [200, 30_000]);
  const bad = parseUserConfig('<safe><service mode="mirror" timing="slow"><heart><heartbeat name="default"/></heart></service></safe>', 'u.xml', { cluster });
  assert.equal(bad.config, null);
  assert.ok(bad.problems.items.some((p) => /timing/.test(p.message) && /slow/.test(p.message)), bad.problems.items.map((p) => p.message).join('; '));
});

test('a broken file reports every problem with its line and column', () => {
  const xml = [
    '<safe>',
    '  <service mode="mirror" maxloop="three" boot_delay="500ms">',
    '    <heart><heartbeat name="nosuchlan"/></heart>',
    '    <rfs><replicated dir="data"/><replicated dir="/"/></rfs>',
    '    <check><tcp ident="web" when="pre" action="restart"><to addr="127.0.0.1" port="80"/></tcp></check>',
    '  </service>',
    '</safe>',
  ].join('\n');
  const r = parseUserConfig(xml, 'bad.xml', { cluster });
  const errors = r.problems.items.filter((p) => p.severity === 'error');
  const where = errors.map((e) => `${e.line}:${e.col}`);
  assert.equal(r.config, null);
  assert.ok(errors.some((e) => e.line === 2 && /maxloop="three"/.test(e.message)), where.join(' '));
  assert.ok(errors.some((e) => e.line === 2 && /invalid value '500ms' for the attribute boot_delay \(expected time unit: 's'\)/.test(e.message)));
  assert.ok(errors.some((e) => /lan "nosuchlan" is not defined/.test(e.message)));
  assert.ok(errors.some((e) => e.line === 4 && /not an absolute path/.test(e.message)));
  assert.ok(errors.some((e) => e.line === 4 && /root "\/" cannot be replicated/.test(e.message)));
  assert.ok(errors.some((e) => e.line === 5 && /when="pre" tcp checker can only wait/.test(e.message)));
  for (const e of errors) assert.ok(e.line > 0 && e.col > 0, `${e.message} has a location`);
});

test('legacy forms, unknown attributes and env macros are warnings, not errors', () => {
  const xml = `<safe><service mode="mirror" foo="1">
    <heart><heartbeat><server addr="10.0.0.1"/><server addr="10.0.0.2"/></heartbeat></heart>
    <rfs mountover="off"><flow name="x"><server addr="10.0.0.1"/></flow><replicated dir="%DATA%/db"/></rfs>
  </service></safe>`;
  const r = parseUserConfig(xml, 'legacy.xml');
  assert.deepEqual(r.problems.items.filter((p) => p.severity === 'error').map((p) => p.message), []);
  const warnings = r.problems.items.map((p) => p.message).join('\n');
  assert.match(warnings, /unknown attribute foo/);
  assert.match(warnings, /legacy <heartbeat><server/);
  assert.match(warnings, /mountover on <rfs> is a legacy attribute/);
  assert.match(warnings, /%DATA% is not a macro/);
});

test('time attributes convert units to the implicit unit and reject values that round to 0', () => {
  assert.deepEqual(parseTime('30', 'timeout', 'ms'), { ok: true, ms: 30 });
  assert.deepEqual(parseTime('2s', 'timeout', 'ms'), { ok: true, ms: 2000 });
  assert.deepEqual(parseTime('24', 'loop_interval', 'h'), { ok: true, ms: 86_400_000 });
  assert.deepEqual(parseTime('120m', 'loop_interval', 'h'), { ok: true, ms: 7_200_000 });
  assert.deepEqual(parseTime('90m', 'loop_interval', 'h'), { ok: true, ms: 3_600_000 }); // truncated
  assert.equal(parseTime('0', 'boot_delay', 's').ok, true);
  const r = parseTime('500ms', 'boot_delay', 's');
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.message, "invalid value '500ms' for the attribute boot_delay (expected time unit: 's')");
  assert.equal(parseTime('5 minutes', 'x', 's').ok, false);
});

test('POSIX ERE translates brackets and classes, and refuses what ERE lacks', () => {
  const ok = (ere: string, yes: string[], no: string[]) => {
    const r = ereToJs(ere);
    assert.ok(r.ok, `${ere}: ${!r.ok && r.message}`);
    const re = new RegExp(r.ok ? r.js : '');
    for (const s of yes) assert.ok(re.test(s), `${ere} should match ${s}`);
    for (const s of no) assert.ok(!re.test(s), `${ere} should not match ${s}`);
  };
  ok('^[[:alpha:]]+\\.log$', ['app.log'], ['app1.log', 'x.logs']);
  ok('[\\d]', ['\\', 'd'], ['5']); // backslash is literal inside ERE brackets
  ok('^a[]b]c$', ['a]c', 'abc'], ['a\\c']);
  ok('^(tmp|cache)/', ['tmp/x', 'cache/y'], ['data/tmp/x']);
  ok('^x{2,3}$', ['xx', 'xxx'], ['x', 'xxxx']);
  for (const bad of ['\\d+', '(?=a)', 'a*?', '(a', 'a)', '[[:nope:]]', '*a', '\\1', 'a{3,1}', '[z-a]']) {
    const r = ereToJs(bad);
    assert.equal(r.ok, false, `${bad} must be refused`);
  }
  assert.match((ereToJs('\\d') as { message: string }).message, /not POSIX ERE \(use \[\[:digit:\]\]\)/);
});

test('cluster.xml: every node on one lan, unique addresses, command lan complete', () => {
  const bad = `<cluster><lans><lan name="a" command="on"><node name="n1" addr="10.0.0.1"/><node name="n2" addr="10.0.0.1"/></lan>
  <lan name="b"><node name="n3" addr="10.1.0.3"/><node name="n1" addr="999.1.1.1"/></lan></lans></cluster>`;
  const r = parseClusterXml(bad, 'c.xml');
  const msgs = r.problems.items.map((p) => `${p.line}:${p.col} ${p.message}`).join('\n');
  assert.equal(r.config, null);
  assert.match(msgs, /address 10\.0\.0\.1 is given to two nodes/);
  assert.match(msgs, /addr="999\.1\.1\.1" is neither/);
  assert.match(msgs, /no lan lists every node/);
  assert.match(msgs, /command="on" but does not list every node/);
});

test('syncdelta above one minute adds the rfs_forceuptodate rule; at most one minute it is ignored', () => {
  const make = (v: string) => parseUserConfig(`<safe><service mode="mirror"><heart><heartbeat name="default"/></heart>
    <rfs syncdelta="${v}"><replicated dir="/data"/></rfs></service></safe>`, 'u.xml').config!;
  assert.equal(make('10').rfs!.syncdeltaMin, 10);
  assert.equal(make('10').failoverRules.rules[0].name, 'rfs_forceuptodate');
  assert.equal(make('1').failoverRules.rules.length, 0);
  assert.equal(make('2h').rfs!.syncdeltaMin, 120);
});

test('Lua rules: if_then rules are added, Rules.disable removes a built-in rule', () => {
  const xml = `<safe><service mode="mirror"><heart><heartbeat name="default"/></heart>
    <vip><interface_list><interface check="off"><real_interface><virtual_addr addr="10.77.0.100"/></real_interface></interface></interface_list></vip>
    <failover><![CDATA[--Lua Rules
      -- the application checker stops-starts the module
      Rules = Rules + { app_down=if_then("custom.AppChecker","down",Action.stopstart), _group="checker" }
      Rules.disable("ip_failure")
    ]]></failover></service></safe>`;
  const r = parseUserConfig(xml, 'u.xml');
  assert.ok(r.config, r.problems.items.map((p) => p.message).join('; '));
  assert.deepEqual(r.config.failoverRules.rules.map((x) => x.name), ['app_down']);
  const rule = r.config.failoverRules.rules[0];
  assert.deepEqual(rule.then, { kind: 'action', action: 'stopstart' });
  assert.deepEqual(rule.when, { kind: 'eq', left: { kind: 'resource', scope: 'local', cls: 'custom', id: 'AppChecker' }, right: { kind: 'value', value: 'down' } });
});
