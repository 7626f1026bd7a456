// What watches a running module, on one node over loopback: the <module> checker following another
// module (down ⇒ WAIT, up ⇒ wakeup, restarted ⇒ stopstart), errd on a service asked through its
// LSB init script, and errd handler programs (exit 0 repairs; anything else ⇒ stopstart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { until } from '../helpers.js';
import { singleNode } from '../single-node.js';

const mirror = (body: string) => `<safe><service mode="mirror" timing="fast"><heart><heartbeat name="default"/></heart><user/>${body}</service></safe>`;

test('module checker: the watched module stopped ⇒ WAIT, started ⇒ wakeup, restarted ⇒ stopstart', { timeout: 120_000 }, async () => {
  const node = await singleNode('modcheck', '127.0.0.81', {
    web: { 'conf/userconfig.xml': mirror('') },
    dep: { 'conf/userconfig.xml': mirror('<check><module name="web"/></check>') },
  });
  const t = node.tandem;
  try {
    assert.equal(t('start', '-m', 'web').status, 0);
    await node.waitState('web', 'ALONE');
    assert.equal(t('start', '-m', 'dep').status, 0);
    await node.waitState('dep', 'ALONE');
    assert.equal(node.get('dep', 'module.web_127.0.0.1'), 'up');

    assert.equal(t('stop', '-m', 'web').status, 0);
    await until('dep sees web down', () => node.get('dep', 'module.web_127.0.0.1') === 'down', 10_000, 200);
    await node.waitState('dep', 'WAIT');
    assert.match(node.log('dep'), /Module web watched by module\.web_127\.0\.0\.1: module web is STOP NotReady/);
    assert.match(node.log('dep'), /Action wait from failover rule module_failure/);

    assert.equal(t('start', '-m', 'web').status, 0);
    await node.waitState('web', 'ALONE');
    await node.waitState('dep', 'ALONE');
    assert.match(node.log('dep'), /Action wakeup from failover rule Implicit_wakeup/);

    assert.equal(t('restart', '-m', 'web').status, 0);
    await until('dep stop-starts', () => /Action stopstart called by modulecheck/.test(node.log('dep')), 15_000, 200)
      .catch((e: Error) => { throw new Error(`${e.message}\n${node.log('dep').split('\n').slice(-20).join('\n')}`); });
    await node.waitState('dep', 'ALONE');
  } finally {
    await node.stop();
  }
});

const root = process.getuid?.() === 0;
test('errd: a service asked through its LSB init script, repaired by a handler, then stop-started when the handler fails', { skip: root ? false : 'writes an init script to /etc/init.d: needs root', timeout: 120_000 }, async () => {
  const svc = `tdsvc${process.pid % 100000}`;
  const flag = `/run/${svc}.running`; // the "service" runs while this file exists
  const initScript = `/etc/init.d/${svc}`;
  writeFileSync(initScript, `#!/bin/sh\ncase "$1" in status) [ -f ${flag} ] && exit 0; exit 3;; *) exit 0;; esac\n`, { mode: 0o755 });
  const node = await singleNode('errdsvc', '127.0.0.83', {
    app: {
      'conf/userconfig.xml': mirror(`<errd polltimer="1s"><proc name="${svc}" service="yes" atleast="1" action="fixsvc" class="prim"/></errd>`),
      'bin/start_prim': `#!/bin/sh\ntouch ${flag}\n`,
      'bin/stop_prim': `#!/bin/sh\nrm -f ${flag}\n`,
      // repairs once; the second time it gives up (exit 1), which must lead to a stopstart
      'bin/fixsvc': `#!/bin/sh\n[ -f "$SAFEUSERVAR/fixed" ] && exit 1\ntouch "$SAFEUSERVAR/fixed" ${flag}\necho "repaired $2 of $1"\n`,
    },
  });
  const t = node.tandem;
  try {
    assert.equal(t('start', '-m', 'app').status, 0);
    await node.waitState('app', 'ALONE');
    rmSync(flag);
    await until('the handler repaired the service', () => /Handler fixsvc for \S+ succeeded/.test(node.log('app')), 15_000, 200);
    assert.match(node.log('app'), new RegExp(`Service ${svc} not running \\(asked LSB ${initScript}\\)`));
    assert.ok(existsSync(flag));
    assert.doesNotMatch(node.log('app'), /called by errd/, 'a handler that succeeds is the whole action');

    rmSync(flag);
    await until('the failed handler led to a stopstart', () => /Action stopstart called by errd/.test(node.log('app')), 15_000, 200);
    assert.match(node.log('app'), /Handler fixsvc for \S+ failed \(exit 1\): stopstart/);
    await node.waitState('app', 'ALONE');
    await until('start_prim started the service again', () => existsSync(flag), 10_000, 200);
  } finally {
    await node.stop();
    rmSync(initScript, { force: true });
    rmSync(flag, { force: true });
  }
});

test('maxloop: a checker whose rule keeps restarting the application stops the module at the limit', { timeout: 90_000 }, async () => {
  // nothing listens on this port: t_app restarts the application after every handle_time
  const node = await singleNode('maxloop', '127.0.0.85', {
    app: { 'conf/userconfig.xml': `<safe><service mode="mirror" timing="fast" maxloop="2"><heart><heartbeat name="default"/></heart><user/>
      <check><tcp ident="app" when="prim" action="restart"><to addr="127.0.0.85" port="9"/></tcp></check></service></safe>` },
  });
  try {
    assert.equal(node.tandem('start', '-m', 'app').status, 0);
    await until('maxloop stops the module', () => node.tandem('state', '-m', 'app', '-lq').stdout.trim() === 'STOP', 30_000, 200)
      .catch((e: Error) => { throw new Error(`${e.message}\n${node.log('app').split('\n').slice(-20).join('\n')}`); });
    const log = node.log('app');
    assert.equal((log.match(/Action restart from failover rule t_app/g) ?? []).length, 2, 'two restarts, the limit');
    assert.match(log, /maxloop/i);
  } finally {
    await node.stop();
  }
});
