// The syslog sink writes RFC 5424 records with tag tandem to a datagram socket this test binds
// (these machines have no /dev/log or journald), and stays silent when no socket exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyslogSink } from '../../src/daemon/syslog.js';

const missing = spawnSync('logger', ['--version']).error ? 'util-linux logger is not installed'
  : spawnSync('python3', ['--version']).error ? 'python3 (used to bind the test socket) is not installed' : false;

test('module messages reach a bound datagram socket as RFC 5424 records tagged tandem', { skip: missing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'syslog-'));
  const sock = join(dir, 'log.sock');
  const out = join(dir, 'received.txt');
  // a datagram server that records what it receives, like /dev/log's reader
  const server = spawn('python3', ['-c', `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], 'ab', buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b'\\n')
`, sock, out], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
    const sink = new SyslogSink(sock);
    sink.write({ module: 'mirror', component: 'heart', level: 'E', text: 'Local state PRIM Ready' });
    sink.write({ module: 'mirror', component: 'heart', level: 'C', text: 'Action stop called by maxloop' });
    await sink.flushed();
    for (let i = 0; i < 100 && (!existsSync(out) || readFileSync(out, 'utf8').split('\n').filter(Boolean).length < 2); i++) await new Promise((r) => setTimeout(r, 20));
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, 2);
    // <PRI>1 TIMESTAMP HOST tandem PID - - MSG ; daemon (3) × 8 + notice (5) = 29, crit (2) = 26
    assert.match(lines[0], /^<29>1 \S+ \S+ tandem \d+ - - mirror \| heart \| Local state PRIM Ready$/);
    assert.match(lines[1], /^<26>1 .* tandem \d+ - - mirror \| heart \| Action stop called by maxloop$/);
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a log socket the sink is disabled and never throws', async () => {
  const sink = new SyslogSink('/nonexistent/dev/log');
  assert.equal(sink.enabled, false);
  sink.write({ module: 'm', component: 'c', level: 'E', text: 't' });
  await sink.flushed();
});
