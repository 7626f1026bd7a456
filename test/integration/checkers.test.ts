// Checkers of a running mirror module (one node, loopback): a tcp checker follows a port that opens
// and closes and its generated rule restarts the application; a ping checker answers; a custom
// checker runs while its class is active and reports through `tandem set`; `checker off` stops them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { until } from '../helpers.js';
import { singleNode } from '../single-node.js';

const skip = spawnSync('ping', ['-V']).error ? 'needs ping (iputils-ping)' : false;

test('tcp, ping and custom checkers feed resources and rules', { skip, timeout: 90_000 }, async () => {
  const port = 46000 + Math.floor(Math.random() * 1000);
  let server: Server | null = createServer((s) => s.end()).listen(port, '127.0.0.71');
  const config = `<safe><service mode="mirror" maxloop="5"><heart pulse="100ms" timeout="1s"><heartbeat name="default"/></heart><user/>
    <check>
      <tcp ident="app" when="prim" action="restart"><to addr="127.0.0.71" port="${port}" interval="1s" timeout="1s"/></tcp>
      <ping ident="gw" when="pre" action="wait"><to addr="127.0.0.71" interval="1s" timeout="1s"/></ping>
      <custom ident="health" when="prim" exec="healthcheck" arg="0.2"/>
    </check><failover period="500ms" handle_time="1s"/></service></safe>`;
  const health = '#!/bin/sh\n# argv: module resource period; reports up once, then sleeps\ntandem set -m "$1" -r "$2" -v up -i health\nwhile :; do sleep "$3"; done\n';
  const node = await singleNode('checkers', '127.0.0.71', { app: { 'conf/userconfig.xml': config, 'bin/healthcheck': health } });
  const t = node.tandem;
  const get = (r: string) => node.get('app', r);
  try {
    assert.equal(t('start', '-m', 'app').status, 0);
    await node.waitState('app', 'ALONE');
    await until('ping up', () => get('ping.gw') === 'up', 10_000, 200);
    await until('tcp up', () => get('tcp.app') === 'up', 10_000, 200);
    await until('the custom checker reported', () => get('custom.health') === 'up', 10_000, 200);
    assert.match(node.log('app'), /Resource custom\.health set to up by health/);

    await new Promise<void>((r) => server!.close(() => r()));
    server = null;
    await until('tcp down', () => get('tcp.app') === 'down', 10_000, 200);
    await until('the generated rule restarts the application', () => /Action restart called by t_app|restart.*t_app/.test(node.log('app')), 15_000, 300)
      .catch((e: Error) => { throw new Error(`${e.message}\n${node.log('app').split('\n').slice(-25).join('\n')}`); });

    assert.equal(t('checker', 'off', '-m', 'app').status, 0);
    assert.equal(get('usersetting.checker'), 'off');
    assert.equal(t('stop', '-m', 'app').status, 0);
    await until('stopped', () => t('waitstop', '-m', 'app', '--timeout', '1').status === 0, 20_000, 200);
    assert.doesNotMatch(spawnSync('pgrep', ['-f', join(node.root, 'var/lib/tandem/modules/app/applied/bin/healthcheck')], { encoding: 'utf8' }).stdout, /\d/, 'the custom checker was stopped with its class');
  } finally {
    server?.close();
    await node.stop();
  }
});

test('errd: a monitored process that dies is reported and its module restarted; errd off stops watching', { timeout: 90_000 }, async () => {
  const app = `tdapp${process.pid % 100000}`; // a name no other process has
  const node = await singleNode('errd', '127.0.0.73', {
    app: {
      'conf/userconfig.xml': `<safe><service mode="mirror" maxloop="5"><heart pulse="100ms" timeout="1s"><heartbeat name="default"/></heart><user/>
        <errd polltimer="1s"><proc name="${app}" atleast="1" action="restart" class="prim"/></errd></service></safe>`,
      'bin/start_prim': `#!/bin/sh\ncp /bin/sleep "$SAFEUSERVAR/${app}"\nnohup "$SAFEUSERVAR/${app}" 1000 > /dev/null 2>&1 &\necho $! > "$SAFEUSERVAR/app.pid"\n`,
      'bin/stop_prim': '#!/bin/sh\n[ -f "$SAFEUSERVAR/app.pid" ] && kill "$(cat "$SAFEUSERVAR/app.pid")" 2>/dev/null; rm -f "$SAFEUSERVAR/app.pid"; exit 0\n',
    },
  });
  const t = node.tandem;
  try {
    assert.equal(t('start', '-m', 'app').status, 0);
    await node.waitState('app', 'ALONE');
    const pid = () => Number(spawnSync('pgrep', ['-x', app], { encoding: 'utf8' }).stdout.trim().split('\n')[0] || 0);
    await until('the application runs', () => pid() > 0, 10_000, 200);
    const first = pid();
    process.kill(first, 'SIGKILL');
    await until('errd restarts it', () => pid() > 0 && pid() !== first, 20_000, 200);
    const log = node.log('app');
    assert.match(log, new RegExp(`\\| errd \\| E \\| Process ${app} not running`));
    assert.match(log, /Action restart called by errd/);

    assert.equal(t('errd', 'off', '-m', 'app').status, 0);
    const second = pid();
    process.kill(second, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(pid(), 0, 'errd off: nobody restarts it');
    assert.equal(t('state', '-m', 'app', '-lq').status, 2, 'and the module stays ALONE');
    assert.equal(t('stop', '-m', 'app').status, 0);
    await until('stopped', () => t('waitstop', '-m', 'app', '--timeout', '1').status === 0, 20_000, 200);
  } finally {
    await node.stop();
    spawnSync('pkill', ['-9', '-x', app]);
  }
});
