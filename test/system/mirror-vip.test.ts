// The mirror VIP on real namespaces, seen from the client namespace: an IPv4 and an IPv6 address
// move together; the client's neighbour entries follow them (gratuitous ARP; the unsolicited
// neighbour advertisement the kernel sends with ndisc_notify); arpreroute keeps re-announcing the IPv4 VIP (a client entry forced to a wrong MAC
// is corrected); connections.<VIP> counts the client's open connection; and when the VIP moves, that
// connection is reset (tcpreset) instead of hanging. Then the generated checkers (§12 checkers 1,
// 4): the VIP deleted by hand on the primary ⇒ ip_failure stop-starts it and the other node takes
// over; the secondary's cable pulled ⇒ interface_failure holds it in WAIT; plugged back ⇒ wakeup
// and it rejoins as SECOND.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../helpers.js';
import { mirrorLab } from '../lab-mirror.js';
import { Lab, labUnavailable } from '../../src/lab/lab.js';

const skip = labUnavailable() || (spawnSync('arping', ['-V']).error ? 'needs arping (iputils-arping)' : false);
const NET = '10.74.0';
const VIP4 = `${NET}.100`;
const VIP6 = 'fd00:74::100';

const MODULE = `<safe><service mode="mirror" timing="fast"><heart><heartbeat name="default"/></heart>
  <vip><interface_list><interface check="on" arpreroute="on" arpinterval="1s"><real_interface>
    <virtual_addr addr="${VIP4}" netmask="255.255.255.0" connections="on"/>
    <virtual_addr addr="${VIP6}" netmask="64"/>
  </real_interface></interface></interface_list></vip><user/></service></safe>`;

test('mirror VIP: IPv4 + IPv6 follow the primary, neighbours are told, arpreroute, connections counted and reset', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-vip-'));
  const lab = new Lab(dir, 3, NET);
  try {
    for (const [i, n] of ['n1', 'n2', 'n3'].entries()) lab.run(n, ['ip', '-6', 'addr', 'add', `fd00:74::${i + 1}/64`, 'dev', 'eth0', 'nodad']);
    // the application answers with its node's name on every address, both families
    const { state, ask } = await mirrorLab(lab, dir, NET, MODULE, '::');

    const mac = (n: string) => /link\/ether (\S+)/.exec(lab.run(n, ['ip', '-o', 'link', 'show', 'dev', 'eth0']).stdout)![1];
    const neighbour = (addr: string) => /lladdr (\S+)/.exec(lab.run('n3', ['ip', 'neigh', 'show', addr, 'dev', 'eth0']).stdout)?.[1] ?? null;

    assert.equal(lab.tandem('n1', 'start', '-m', 'app').status, 0);
    await until('n1 alone', () => state('n1') === 'ALONE', 20_000, 200);
    assert.equal(lab.tandem('n2', 'start', '-m', 'app').status, 0);
    await until('n1 PRIM, n2 SECOND', () => state('n1') === 'PRIM' && state('n2') === 'SECOND', 30_000, 200);
    const addrs = lab.run('n1', ['ip', '-o', 'addr', 'show', 'dev', 'eth0']).stdout;
    assert.match(addrs, new RegExp(`inet ${VIP4.replace(/\./g, '\\.')}/24 .*eth0:app`));
    assert.match(addrs, /inet6 fd00:74::100\/64/);
    await until('the client reaches n1 on both families', () => ask(VIP4) === 'n1' && ask(VIP6) === 'n1', 10_000, 200);

    // arpreroute: a client entry forced to a wrong MAC is put right by the next announcement
    lab.run('n3', ['ip', 'neigh', 'replace', VIP4, 'lladdr', '02:00:00:00:00:01', 'dev', 'eth0', 'nud', 'stale']);
    await until('the periodic gratuitous ARP corrects the client', () => neighbour(VIP4) === mac('n1'), 5_000, 100);

    // a long-lived client connection: counted, then reset when the VIP leaves n1
    const holder = spawn('nsenter', [`--net=/var/run/netns/${lab.node('n3').netns}`, '--', process.execPath, '-e',
      `const s=require('net').connect(8080,'${VIP4}');s.on('connect',()=>console.log('connected'));s.on('error',(e)=>{console.log('error '+e.code);process.exit(0)});s.on('close',()=>{console.log('closed');process.exit(0)});setTimeout(()=>{console.log('still open');process.exit(0)},60000)`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let said = '';
    holder.stdout!.on('data', (c: Buffer) => { said += c.toString(); });
    await until('connected', () => said.includes('connected'), 5_000, 50);
    await until('connections.VIP counts it', () => lab.tandem('n1', 'get', '-m', 'app', '-r', `connections.${VIP4}`).stdout.trim() === '1', 10_000, 200);

    assert.equal(lab.tandem('n1', 'swap', '-m', 'app').status, 0);
    await until('swapped', () => state('n1') === 'SECOND' && state('n2') === 'PRIM', 30_000, 200);
    await until('the client connection was reset, not left hanging', () => /error ECONNRESET|closed/.test(said), 5_000, 100);
    assert.doesNotMatch(said, /still open/);
    assert.match(lab.tandem('n1', 'log', '-m', 'app').stdout, /Virtual IP 10\.74\.0\.100: 1 TCP connection reset \(tcpreset\)/);
    await until('the client reaches n2 on both families', () => ask(VIP4) === 'n2' && ask(VIP6) === 'n2', 10_000, 200)
      .catch((e: Error) => { throw new Error(`${e.message}: IPv4 ${ask(VIP4)}, IPv6 ${ask(VIP6)}; client neighbours ${lab.run('n3', ['ip', 'neigh']).stdout}; n1 ${mac('n1')} n2 ${mac('n2')}; n2 addrs ${lab.run('n2', ['ip', '-o', 'addr']).stdout} n1 addrs ${lab.run('n1', ['ip', '-o', 'addr']).stdout} n2 log ${lab.tandem('n2', 'log', '-m', 'app').stdout.split('\n').filter((l) => /vip/i.test(l)).join(' / ')}`); });
    assert.equal(neighbour(VIP4), mac('n2'), 'the client ARP entry follows the VIP');
    assert.equal(neighbour(VIP6), mac('n2'), 'the client neighbour entry follows the IPv6 VIP');
    assert.doesNotMatch(lab.run('n1', ['ip', '-o', 'addr', 'show', 'dev', 'eth0']).stdout, /fd00:74::100|10\.74\.0\.100/);

    // the ip checker: the VIP removed behind tandem's back on the primary
    const log = (n: string) => lab.tandem(n, 'log', '-m', 'app', '-A').stdout;
    lab.run('n2', ['ip', 'addr', 'del', `${VIP4}/24`, 'dev', 'eth0']);
    await until('ip_failure stop-starts n2; n1 takes over', () => /Action stopstart from failover rule ip_failure/.test(log('n2')) && state('n1') === 'PRIM' && state('n2') === 'SECOND', 30_000, 200)
      .catch((e: Error) => { throw new Error(`${e.message} (n1 ${state('n1')}, n2 ${state('n2')})\n${log('n2').split('\n').slice(-15).join('\n')}`); });
    assert.match(log('n2'), /Resource ip\.10\.74\.0\.100 set to down by ipcheck/);

    // the intf checker: the secondary's cable pulled (its end of the link goes down), then plugged back
    lab.run('n2', ['ip', 'link', 'set', 'eth0', 'down']);
    await until('interface_failure holds n2 in WAIT', () => /Action wait from failover rule interface_failure/.test(log('n2')) && state('n2') === 'WAIT', 30_000, 200)
      .catch((e: Error) => { throw new Error(`${e.message} (n2 ${state('n2')})\n${log('n2').split('\n').slice(-15).join('\n')}`); });
    lab.run('n2', ['ip', 'link', 'set', 'eth0', 'up']);
    await until('n2 wakes up and rejoins', () => state('n1') === 'PRIM' && state('n2') === 'SECOND', 30_000, 200)
      .catch((e: Error) => { throw new Error(`${e.message} (n1 ${state('n1')}, n2 ${state('n2')})\n${log('n2').split('\n').slice(-15).join('\n')}`); });
    assert.match(log('n2'), /Resource intf\.10\.74\.0\.0 set to up by intfcheck/);
  } finally {
    lab.teardown();
  }
});
