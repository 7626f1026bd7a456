// Installing and configuring modules on one node through the CLI: install from a .safe (and the
// shipped templates), ids, config with checks against this machine, the last three applied
// configurations, confinfo, deconfig, uninstall — and every refusal changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeZip } from '../../src/catalog/zip.js';
import { runTandem } from '../helpers.js';

const CLUSTER = '<cluster><lans><lan name="default"><node name="n1" addr="10.0.0.1"/><node name="n2" addr="10.0.0.2"/></lan></lans></cluster>';
const mirrorConfig = (dir: string, extra = '') => `<safe><service mode="mirror"><heart><heartbeat name="default"/></heart>
  <rfs><replicated dir="${dir}"/></rfs>${extra}<user/></service></safe>`;

function lab() {
  const root = mkdtempSync(join(tmpdir(), 'catalog-'));
  const t = (...args: string[]) => runTandem(['--root', root, ...args], { TANDEM_NODE: 'n1' });
  writeFileSync(join(root, 'cluster.xml'), CLUSTER);
  assert.equal(t('cluster', 'config', join(root, 'cluster.xml')).status, 0);
  const data = join(root, 'data');
  mkdirSync(data);
  const safe = (config: string, scripts: Record<string, string> = {}) => {
    const file = join(root, `pkg-${Math.random().toString(36).slice(2)}.safe`);
    writeFileSync(file, writeZip([
      { name: 'conf/userconfig.xml', data: Buffer.from(config), mode: 0o644 },
      ...Object.entries(scripts).map(([name, body]) => ({ name: `bin/${name}`, data: Buffer.from(`#!/bin/sh\n${body}\n`), mode: 0o755 })),
    ]));
    return file;
  };
  return { root, t, data, safe, json: (...args: string[]) => { const r = t('--json', ...args); return { ...r, doc: JSON.parse(r.stdout) }; } };
}

test('install gives the first free id, -M forces one, a taken id or name is refused; list/listid/getports', () => {
  const { root, t, data, safe, json } = lab();
  try {
    const pkg = safe(mirrorConfig(data));
    assert.equal(json('module', 'install', '-m', 'app', pkg).doc.id, 1);
    assert.equal(json('module', 'install', '-m', 'web', '-M', '7', pkg).doc.id, 7);
    const taken = json('module', 'install', '-m', 'other', '-M', '7', pkg);
    assert.equal(taken.status, 1);
    assert.match(taken.doc.error, /id 7 is already used by module "web"/);
    const again = t('module', 'install', '-m', 'app', pkg);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already installed \(id 1\)[\s\S]*-r to reinstall/);
    assert.equal(json('module', 'install', '-m', 'app', '-r', pkg).doc.id, 1, 'reinstall keeps the id');
    assert.equal(t('module', 'install', '-m', '../x', pkg).status, 2);
    assert.deepEqual(json('module', 'listid').doc.map((m: { name: string; id: number }) => [m.name, m.id]), [['app', 1], ['web', 7]]);
    assert.equal(t('module', 'list').stdout, 'app\nweb\n');
    const ports = json('module', 'getports', '-m', 'web').doc.ports.map((p: { proto: string; port: number }) => `${p.proto}/${p.port}`);
    assert.ok(ports.includes('udp/8894') && ports.includes('tcp/5624'), `heart 8888+6, rfs 5600+6*4: ${ports}`);
    assert.equal(json('module', 'getports', '-i', '1').doc.module, 'app');
    const notZip = join(root, 'bad.safe');
    writeFileSync(notZip, 'hello');
    const bad = json('module', 'install', '-m', 'broken', notZip);
    assert.equal(bad.status, 2);
    assert.match(bad.doc.error, /not a valid \.safe file: not a zip file/);
    assert.equal(json('module', 'listid').doc.length, 2, 'a refused install changes nothing');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the shipped templates install by name and pass confcheck syntax', () => {
  const { root, json } = lab();
  try {
    for (const name of ['mirror', 'farm', 'customchecker']) assert.equal(json('module', 'install', '-m', name).status, 0, name);
    const files = readdirSync(join(root, 'etc/tandem/modules/mirror/bin'));
    assert.deepEqual(files.sort(), ['start_prim', 'stop_prim']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('config applies a valid module, runs its scripts, keeps three older configs; confinfo tracks edits', () => {
  const { root, t, data, safe, json } = lab();
  try {
    const log = join(root, 'scripts.log');
    const pkg = safe(mirrorConfig(data), {
      confcheck: `echo confcheck $SAFEMODULE >> ${log}`, config: `echo config >> ${log}`, postconfig: `echo postconfig $SAFEUSERBIN >> ${log}`,
      start_prim: 'echo app started $APP_PORT',
    });
    json('module', 'install', '-m', 'app', pkg);
    const applied = json('config', '-m', 'app');
    assert.equal(applied.status, 0, applied.stdout);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['confcheck app', 'config', `postconfig ${join(root, 'var/lib/tandem/modules/app/applied/bin')}`]);
    const wrapper = join(root, 'var/lib/tandem/modules/app/applied/wrappers/app_start_wrapper');
    assert.ok(existsSync(wrapper), 'the start wrapper is generated');
    let info = json('confinfo', '-m', 'app').doc;
    assert.equal(info.equal, true);
    const editable = join(root, 'etc/tandem/modules/app/conf/userconfig.xml');
    writeFileSync(editable, mirrorConfig(data, '<vip/>'));
    info = json('confinfo', '-m', 'app').doc;
    assert.equal(info.equal, false, 'an edit shows as active ≠ current');
    for (let i = 0; i < 4; i++) assert.equal(t('config', '-m', 'app').status, 0);
    assert.equal(readdirSync(join(root, 'var/lib/tandem/modules/app/history')).length, 3, 'the last three applied configs are kept');
    assert.equal(json('confinfo', '-m', 'app').doc.equal, true);
    assert.match(t('cmdlog').stdout, /config -m app -u /);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('config refuses a missing interface, a bad path or a failing config script and changes nothing', () => {
  const { root, t, data, safe, json } = lab();
  try {
    json('module', 'install', '-m', 'app', safe(mirrorConfig(data)));
    assert.equal(t('config', '-m', 'app').status, 0);
    const applied = join(root, 'var/lib/tandem/modules/app/applied/conf/userconfig.xml');
    const before = readFileSync(applied, 'utf8');
    const editable = join(root, 'etc/tandem/modules/app/conf/userconfig.xml');

    writeFileSync(editable, mirrorConfig(join(root, 'missing-dir')));
    let r = t('config', '-m', 'app');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /missing-dir">: the directory does not exist on this node/);

    writeFileSync(editable, mirrorConfig(data, '<vip><interface_list><interface name="nosuch0"><real_interface><virtual_addr addr="10.0.0.50" where="one_side_alias"/></real_interface></interface></interface_list></vip>'));
    const rj = json('config', '-m', 'app');
    assert.equal(rj.status, 2);
    assert.match(rj.doc.error, /<interface name="nosuch0">: no such network interface on this node/);
    assert.match(json('confcheck', '-m', 'app').doc.errors.join('\n'), /nosuch0/);

    writeFileSync(editable, mirrorConfig(data));
    const bin = join(root, 'etc/tandem/modules/app/bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'config'), '#!/bin/sh\necho "license server unreachable" >&2\nexit 4\n');
    chmodSync(join(bin, 'config'), 0o755);
    r = t('config', '-m', 'app');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /config script failed \(exit 4\); nothing was applied:\nlicense server unreachable/);
    assert.equal(readFileSync(applied, 'utf8'), before, 'the applied configuration is untouched');
    assert.equal(t('config', '-m', 'nosuch').status, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a module gets a key at its first configuration; genkey replaces it; delkey leaves it unauthenticated, with a warning', () => {
  const { root, t, data, safe, json } = lab();
  try {
    json('module', 'install', '-m', 'app', safe(mirrorConfig(data)));
    const key = join(root, 'etc/tandem/modules/app/conf/module.key');
    const first = json('config', '-m', 'app');
    assert.match(first.doc.warnings.join('\n'), /had no key, so one was generated/);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    const k1 = readFileSync(key, 'utf8');
    assert.equal(Buffer.from(k1.trim(), 'base64').length, 32);
    assert.equal(readFileSync(join(root, 'var/lib/tandem/modules/app/applied/conf/module.key'), 'utf8'), k1, 'the applied copy carries it');
    assert.equal(json('config', '-m', 'app').doc.warnings.length, 0, 'no note once it has one');
    assert.equal(t('module', 'genkey', '-m', 'app').status, 0);
    assert.notEqual(readFileSync(key, 'utf8'), k1);
    assert.equal(json('confinfo', '-m', 'app').doc.equal, false, 'a new key is a configuration change');
    assert.equal(t('module', 'delkey', '-m', 'app').status, 0);
    assert.ok(!existsSync(key));
    assert.match(json('confcheck', '-m', 'app').doc.warnings.join('\n'), /has no key/);
    assert.match(json('config', '-m', 'app').doc.warnings.join('\n'), /its heartbeats are not authenticated/);
    assert.ok(!existsSync(key), 'delkey is respected: no key generated again');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('deconfig keeps the user files, uninstall removes the module; package round-trips', () => {
  const { root, t, data, safe, json } = lab();
  try {
    json('module', 'install', '-m', 'app', safe(mirrorConfig(data), { deconfig: 'echo bye' }));
    assert.equal(t('config', '-m', 'app').status, 0);
    const d = json('deconfig', '-m', 'app');
    assert.equal(d.doc.scripts[0].output, 'bye');
    assert.ok(!existsSync(join(root, 'var/lib/tandem/modules/app/applied')));
    assert.ok(existsSync(join(root, 'etc/tandem/modules/app/conf/userconfig.xml')));
    assert.equal(t('deconfig', '-m', 'app').status, 1, 'not configured any more');
    const pkg = join(root, 'back.safe');
    assert.equal(t('module', 'package', '-m', 'app', pkg).status, 0);
    assert.equal(t('module', 'package', '-m', 'app', 'relative.safe').status, 2);
    assert.equal(t('module', 'uninstall', '-m', 'app').status, 0);
    assert.ok(!existsSync(join(root, 'etc/tandem/modules/app')));
    assert.equal(json('module', 'install', '-m', 'copy', pkg).doc.id, 1);
    assert.match(readFileSync(join(root, 'etc/tandem/modules/copy/bin/deconfig'), 'utf8'), /echo bye/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
