// Checkers of a running mirror module (one node, loopback): a tcp checker follows a port that opens
// and closes and its generated rule restarts the application; a ping checker answers; a custom
// checker runs while its class is active and reports through `tandem set`; `checker off` stops them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeZip } from '../../src/catalog/zip.js';
import { runTandem, until } from '../helpers.js';

const skip = spawnSync('ping', ['-V']).error ? 'needs ping (iputils-ping)' : false;

test('tcp, ping and custom checkers feed resources and rules', { skip, timeout: 90_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'checkers-'));
  const t = (...args: string[]) => runTandem(['--root', root, ...args], { TANDEM_NODE: 'n1' });
  const get = (r: string) => t('get', '-m', 'app', '-r', r).stdout.trim();
  const port = 46000 + Math.floor(Math.random() * 1000);
  let server: Server | null = createServer((s) => s.end()).listen(port, '127.0.0.71');
  let daemon: ChildProcess | null = null;
  let daemonErr = '';
  try {
    writeFileSync(join(root, 'cluster.xml'), '<cluster><lans><lan name="default"><node name="n1" addr="127.0.0.71"/><node name="n2" addr="127.0.0.72"/></lan></lans></cluster>');
    assert.equal(t('cluster', 'config', join(root, 'cluster.xml')).status, 0);
    const config = `<safe><service mode="mirror" maxloop="5"><heart pulse="100ms" timeout="1s"><heartbeat name="default"/></heart><user/>
      <check>
        <tcp ident="app" when="prim" action="restart"><to addr="127.0.0.71" port="${port}" interval="1s" timeout="1s"/></tcp>
        <ping ident="gw" when="pre" action="wait"><to addr="127.0.0.71" interval="1s" timeout="1s"/></ping>
        <custom ident="health" when="prim" exec="healthcheck" arg="0.2"/>
      </check><failover period="500ms" handle_time="1s"/></service></safe>`;
    const health = '#!/bin/sh\n# argv: module resource period; reports up once, then sleeps\ntandem set -m "$1" -r "$2" -v up -i health\nwhile :; do sleep "$3"; done\n';
    writeFileSync(join(root, 'app.safe'), writeZip([
      { name: 'conf/userconfig.xml', data: Buffer.from(config), mode: 0o644 },
      { name: 'bin/healthcheck', data: Buffer.from(health), mode: 0o755 },
    ]));
    assert.equal(t('module', 'install', '-m', 'app', join(root, 'app.safe')).status, 0);
    assert.equal(t('config', '-m', 'app').status, 0);
    daemon = spawn(process.execPath, ['dist/src/daemon/tandemd.js', '--root', root, '--node', 'n1', '--port', String(44000 + Math.floor(Math.random() * 1000))], { stdio: ['ignore', 'ignore', 'pipe'] });
    daemon.stderr!.on('data', (c: Buffer) => { daemonErr += c.toString(); });
    await until('the module process answers', () => t('state', '-m', 'app').status === 0, 15_000).catch((e: Error) => { throw new Error(`${e.message}\n${daemonErr}`); });
    assert.equal(t('start', '-m', 'app').status, 0);
    await until('ALONE, Ready', () => t('waitstate', '-m', 'app', 'ALONE', '--timeout', '1').status === 0, 30_000, 200);
    await until('ping up', () => get('ping.gw') === 'up', 10_000, 200);
    await until('tcp up', () => get('tcp.app') === 'up', 10_000, 200);
    await until('the custom checker reported', () => get('custom.health') === 'up', 10_000, 200);
    assert.match(t('log', '-m', 'app').stdout, /Resource custom\.health set to up by health/);

    await new Promise<void>((r) => server!.close(() => r()));
    server = null;
    await until('tcp down', () => get('tcp.app') === 'down', 10_000, 200);
    await until('the generated rule restarts the application', () => /Action restart called by t_app|restart.*t_app/.test(t('log', '-m', 'app', '-A').stdout), 15_000, 300)
      .catch((e: Error) => { throw new Error(`${e.message}\n${t('log', '-m', 'app', '-A').stdout.split('\n').slice(-25).join('\n')}`); });

    assert.equal(t('checker', 'off', '-m', 'app').status, 0);
    assert.equal(get('usersetting.checker'), 'off');
    assert.equal(t('stop', '-m', 'app').status, 0);
    await until('stopped', () => t('waitstop', '-m', 'app', '--timeout', '1').status === 0, 20_000, 200);
    assert.doesNotMatch(spawnSync('pgrep', ['-f', join(root, 'var/lib/tandem/modules/app/applied/bin/healthcheck')], { encoding: 'utf8' }).stdout, /\d/, 'the custom checker was stopped with its class');
  } finally {
    server?.close();
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const d = daemon;
      const exited = new Promise((r) => d.once('exit', r));
      d.kill('SIGTERM');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  }
});
