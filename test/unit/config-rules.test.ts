// Every check of docs/config.md has a file that trips it, at the right line, with the right severity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseUserConfig } from '../../src/config/userconfig.js';
import { parseClusterXml } from '../../src/config/cluster.js';

const cluster = parseClusterXml(readFileSync('templates/cluster.xml', 'utf8'), 'cluster.xml').config!;
const MIRROR_HEAD = '<safe>\n<service mode="mirror">\n<heart><heartbeat name="default"/></heart>';

/** `at`: text on the line the problem must point at. */
interface Case { name: string; xml: string; severity: 'error' | 'warning'; message: RegExp; at: string; nodes?: string[] }

const cases: Case[] = [
  { name: 'mirror VIP with where="alias"', severity: 'error', at: 'where="alias"', message: /where="alias" is for farm modules/,
    xml: `${MIRROR_HEAD}\n<vip><interface_list><interface><real_interface>\n<virtual_addr addr="10.77.0.100" where="alias"/></real_interface></interface></interface_list></vip></service></safe>` },
  { name: 'VIP is the network address of its netmask', severity: 'error', at: 'addr="10.77.0.0"', message: /network address of its \/24 netmask/,
    xml: `${MIRROR_HEAD}\n<vip><interface_list><interface><real_interface>\n<virtual_addr addr="10.77.0.0" netmask="255.255.255.0"/></real_interface></interface></interface_list></vip></service></safe>` },
  { name: 'VIP outside the nodes\' subnet', severity: 'warning', at: '<service', message: /not in the subnet of the module's nodes/,
    xml: `${MIRROR_HEAD}\n<vip><interface_list><interface><real_interface>\n<virtual_addr addr="192.168.9.9" netmask="255.255.255.0"/></real_interface></interface></interface_list></vip></service></safe>`, nodes: ['n1', 'n2'] },
  { name: 'nested replicated dirs', severity: 'error', at: '<service', message: /\/data\/db is nested in replicated dir \/data/,
    xml: `${MIRROR_HEAD}\n<rfs><replicated dir="/data"/><replicated dir="/data/db"/></rfs></service></safe>` },
  { name: 'absolute notreplicated path', severity: 'error', at: 'path="/data/tmp"', message: /must be relative to the replicated dir/,
    xml: `${MIRROR_HEAD}\n<rfs><replicated dir="/data">\n<notreplicated path="/data/tmp"/></replicated></rfs></service></safe>` },
  { name: 'Perl escape in regexpath', severity: 'error', at: 'regexpath=', message: /\\d is not POSIX ERE \(use \[\[:digit:\]\]\)/,
    xml: `${MIRROR_HEAD}\n<rfs><replicated dir="/data">\n<notreplicated regexpath="log\\d+"/></replicated></rfs></service></safe>` },
  { name: 'errd without user', severity: 'error', at: '<errd>', message: /<errd> needs <user>/,
    xml: `${MIRROR_HEAD}\n<errd><proc name="app" atleast="1" action="restart" class="prim"/></errd></service></safe>`.replace('<errd>', '\n<errd>') },
  { name: 'two checkers, one resource', severity: 'error', at: 'addr="10.0.0.2"', message: /two checkers set the resource ping.r/,
    xml: `${MIRROR_HEAD}\n<check>\n<ping ident="r"><to addr="10.0.0.1"/></ping>\n<ping ident="r"><to addr="10.0.0.2"/></ping></check></service></safe>` },
  { name: 'wait action without when=pre', severity: 'error', at: 'action="wait"', message: /action="wait" needs when="pre"/,
    xml: `${MIRROR_HEAD}\n<check>\n<tcp ident="web" when="prim" action="wait"><to addr="127.0.0.1" port="80"/></tcp></check></service></safe>` },
  { name: 'farm rule reading a remote resource', severity: 'error', at: '<service', message: /farm modules only see local resources/,
    xml: '<safe>\n<service mode="farm"><farm><lan name="default"/></farm>\n<failover><![CDATA[ r: if (remote.tcp.x == down) then restart(); ]]></failover></service></safe>' },
  { name: 'handle_time not a multiple of period', severity: 'error', at: 'handle_time=', message: /handle_time 7000 ms is not a multiple of period 5000 ms/,
    xml: `${MIRROR_HEAD}\n<failover period="5s" handle_time="7s"><![CDATA[ ]]></failover></service></safe>` },
  { name: 'failover rules outside CDATA', severity: 'error', at: '<failover>', message: /must be inside <!\[CDATA\[/,
    xml: `${MIRROR_HEAD}\n<failover> r: if (tcp.a == down) then wait(); </failover></service></safe>` },
  { name: 'Windows-only attribute', severity: 'warning', at: 'roflags', message: /roflags on <rfs> is a Windows-only setting and is ignored on Linux/,
    xml: `${MIRROR_HEAD}\n<rfs\n roflags="0x10"><replicated dir="/data"/></rfs></service></safe>` },
  { name: 'unsupported Lua statement', severity: 'error', at: 'print(', message: /unsupported Lua rule statement "print\(1\)"/,
    xml: `${MIRROR_HEAD}\n<failover><![CDATA[--Lua Rules\nprint(1)]]></failover></service></safe>` },
  { name: 'flow heartbeat without rfs', severity: 'error', at: '<service', message: /ident="flow" but the module has no <rfs>/,
    xml: '<safe>\n<service mode="mirror"><heart><heartbeat name="default" ident="flow"/></heart></service></safe>' },
  { name: 'mirror installed on three nodes', severity: 'error', at: '<service', message: /runs on exactly 2 nodes; it is installed on 3/, nodes: ['n1', 'n2', 'n3'],
    xml: `${MIRROR_HEAD}</service></safe>` },
  { name: 'defaultprim names a stranger', severity: 'error', at: '<service', message: /defaultprim="n9" names no node of this module/,
    xml: '<safe>\n<service mode="mirror" defaultprim="n9"><heart><heartbeat name="repli"/></heart></service></safe>' },
  { name: 'farm host not a farm node', severity: 'error', at: '<service', message: /names host n7, which is not a node of this farm/,
    xml: '<safe>\n<service mode="farm"><farm><lan name="default"/></farm><vip><interface_list><interface><virtual_interface><virtual_addr addr="10.77.0.200"/></virtual_interface></interface></interface_list><loadbalancing_list><group name="g"><cluster><host name="n7"/></cluster><rule proto="tcp" filter="on_addr"/></group></loadbalancing_list></vip></service></safe>' },
  { name: 'unknown element', severity: 'warning', at: '<frobnicator', message: /<frobnicator> is not expected inside <service> of a mirror module/,
    xml: `${MIRROR_HEAD}\n<frobnicator/></service></safe>` },
];

for (const c of cases) {
  test(`config check: ${c.name}`, () => {
    const r = parseUserConfig(c.xml, 'u.xml', { cluster, installedOn: c.nodes });
    const hit = r.problems.items.find((p) => c.message.test(p.message));
    assert.ok(hit, `expected ${c.message}; got:\n${r.problems.items.map((p) => `${p.line}:${p.col} ${p.severity} ${p.message}`).join('\n')}`);
    assert.equal(hit.severity, c.severity);
    const line = c.xml.split('\n').findIndex((l) => l.includes(c.at)) + 1;
    assert.ok(line > 0, `the case's "at" text ${c.at} is in its file`);
    assert.equal(hit.line, line, `${hit.message}: reported at line ${hit.line}, expected the line of ${c.at}`);
    assert.equal(r.config === null, c.severity === 'error' || r.problems.hasErrors);
  });
}
