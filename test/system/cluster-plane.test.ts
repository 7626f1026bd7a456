// The cluster plane in a lab of network namespaces (three nodes, one bridge): a cluster set up from
// one node's zip, an updated cluster.xml pushed with -G and reloaded everywhere, confinfo equal then
// differing after a local change, a node with another cluster key refused with a clear line, a
// module installed with -E on the other nodes with the same id, config -m refused for a missing
// interface (checked in that node's own network namespace), a kill -9 of a module process
// restarted, and the module messages received by a syslog socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeZip } from '../../src/catalog/zip.js';
import { until } from '../helpers.js';
import { Lab, labUnavailable } from '../../src/lab/lab.js';

const skip = labUnavailable();

const clusterXml = (pulse: number) => `<cluster><lans pulse="${pulse}" slost_count="6"><lan name="default">
  <node name="n1" addr="10.78.0.1"/><node name="n2" addr="10.78.0.2"/><node name="n3" addr="10.78.0.3"/></lan></lans></cluster>`;
const moduleXml = (intf: string) => `<safe><service mode="farm"><farm><lan name="default"/></farm>
  <vip><interface_list><interface name="${intf}"><virtual_interface type="vmac_directed"><virtual_addr addr="10.78.0.200" where="alias"/></virtual_interface></interface></interface_list></vip><user/></service></safe>`;

test('three namespaced nodes: -G, confinfo, wrong key, -E, config checks, module restart, syslog', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-'));
  const lab = new Lab(dir, 3);
  let syslogReader: ChildProcess | null = null;
  try {
    const json = (node: string, ...args: string[]) => {
      const r = lab.tandem(node, '--json', ...args);
      assert.ok(r.stdout, `no output from ${node}: tandem ${args.join(' ')}: ${r.stderr}`);
      return { status: r.status, doc: JSON.parse(r.stdout) };
    };
    // n1 makes the cluster; n2 and n3 take its zip once (the first trust), then -G does the rest
    writeFileSync(join(dir, 'cluster.xml'), clusterXml(100));
    assert.equal(lab.tandem('n1', 'cluster', 'config', join(dir, 'cluster.xml')).status, 0);
    assert.equal(lab.tandem('n1', 'cluster', 'package', join(dir, 'cluster.zip')).status, 0);
    for (const n of ['n2', 'n3']) assert.equal(lab.tandem(n, 'cluster', 'config', join(dir, 'cluster.zip')).status, 0);

    // a syslog reader for n1's daemon and module messages
    const sock = join(dir, 'syslog.sock');
    const received = join(dir, 'syslog.txt');
    syslogReader = spawn('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nf=open(sys.argv[2],"ab",buffering=0)\nwhile True: f.write(s.recv(65536)+b"\\n")', sock, received], { stdio: 'ignore' });
    await until('the syslog socket exists', () => existsSync(sock));
    lab.startDaemon('n1', { TANDEM_SYSLOG_SOCKET: sock });
    lab.startDaemon('n2');
    lab.startDaemon('n3');
    const upCount = (node: string) => { const r = lab.tandem(node, '--json', 'cluster', 'state'); return r.status === 0 ? JSON.parse(r.stdout).nodes.filter((x: { state: string }) => x.state !== 'down').length : 0; };
    await until('all three see each other', () => ['n1', 'n2', 'n3'].every((n) => upCount(n) === 3), 20_000, 200);

    // an updated cluster.xml, with a new key and CA, pushed from n1 and reloaded everywhere
    writeFileSync(join(dir, 'cluster.xml'), clusterXml(150));
    assert.equal(lab.tandem('n1', 'cluster', 'config', join(dir, 'cluster.xml')).status, 0);
    const pushed = json('n1', '-H', '*', '-G');
    assert.equal(pushed.status, 0, JSON.stringify(pushed.doc));
    const signatures = () => json('n1', '-H', '*', 'cluster', 'confinfo').doc.map((r: { node: string; result?: { signature: string } }) => `${r.node}:${r.result?.signature}`);
    await until('the push is applied and every door reopened', () => { const s = signatures(); return s.every((x: string) => x.split(':')[1] === s[0].split(':')[1]); }, 20_000, 300);
    await until('the cluster re-forms with the new key', () => ['n1', 'n2', 'n3'].every((n) => upCount(n) === 3), 20_000, 200);

    // a local edit on n3 shows in confinfo
    writeFileSync(join(dir, 'local.xml'), clusterXml(170));
    assert.equal(lab.tandem('n3', 'cluster', 'config', join(dir, 'local.xml')).status, 0, 'n3 applies its own file, with its own new key');
    const after = signatures();
    assert.notEqual(after.find((s: string) => s.startsWith('n3:'))?.split(':')[1], after[0].split(':')[1], 'n3 differs from n1');

    // n3's daemon reloaded with its own new key: the others refuse it with a clear line
    await until('n1 logs the refusal', () => /Membership packet from 10\.78\.0\.3 on lan default refused: it is sealed with another cluster key/.test(lab.tandem('n1', 'cmdlog').stdout), 20_000, 300);
    await until('n1 sees n3 down', () => upCount('n1') === 2, 20_000, 300);
    const untrusted = json('n1', '-H', 'n3', 'state');
    assert.equal(untrusted.status, 1);
    assert.match(untrusted.doc[0].error, /n3 does not trust this node's certificate/);

    // a module configured on n1, exported with -E: same id on n2, configured there too
    const pkg = join(dir, 'web.safe');
    writeFileSync(pkg, writeZip([{ name: 'conf/userconfig.xml', data: Buffer.from(moduleXml('eth0')), mode: 0o644 }]));
    assert.equal(lab.tandem('n1', 'module', 'install', '-m', 'web', '-M', '9', pkg).status, 0);
    assert.equal(lab.tandem('n1', 'config', '-m', 'web').status, 0, lab.tandem('n1', 'config', '-m', 'web').stderr);
    const exported = json('n1', '-H', 'n2', '-E', 'web');
    assert.equal(exported.status, 0, JSON.stringify(exported.doc));
    assert.deepEqual(json('n2', 'module', 'listid').doc, [{ name: 'web', id: 9, configured: true }]);
    assert.equal(json('n2', 'confinfo', '-m', 'web').doc.equal, true);

    // config -m with an interface this node does not have: refused with the reason, nothing changed
    writeFileSync(join(lab.node('n2').root, 'etc/tandem/modules/web/conf/userconfig.xml'), moduleXml('eth7'));
    const refused = lab.tandem('n2', 'config', '-m', 'web');
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /<interface name="eth7">: no such network interface on this node \(it has eth0, lo\)/);
    assert.match(readFileSync(join(lab.node('n2').root, 'var/lib/tandem/modules/web/applied/conf/userconfig.xml'), 'utf8'), /name="eth0"/);

    // kill -9 of a module process on n2: restarted
    const procs = () => json('n2', 'module', 'processes').doc as { module: string; pid: number; starts: number }[];
    await until('n2 runs the module process', () => procs()[0]?.pid > 0 && lab.tandem('n2', 'state', '-m', 'web').status === 0, 10_000, 200);
    const before = procs()[0];
    process.kill(before.pid, 'SIGKILL');
    await until('it is restarted', () => procs()[0]?.starts === before.starts + 1 && procs()[0]?.pid > 0, 10_000, 200);
    await until('the restart is logged', () => /Module process killed by SIGKILL; restarting it/.test(lab.tandem('n2', 'log', '-m', 'web').stdout), 10_000, 200);

    // module messages of n1 reach its syslog socket
    assert.equal(lab.tandem('n1', 'checker', 'off', '-m', 'web').status, 0);
    await until('syslog has the module message', () => existsSync(received) && /tandem \d+ - - web \| vipd \| Action checker off called by root/.test(readFileSync(received, 'utf8')), 10_000, 200);
  } finally {
    syslogReader?.kill();
    lab.teardown();
  }
});
