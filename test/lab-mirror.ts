// A 2-node mirror module "app" in a lab of three network namespaces, for the system tests: n1 and
// n2 run tandemd (the cluster from n1's zip, the module exported to n2 with -E), n3 is the client.
// The application is an HTTP server on port 8080 answering with its node's name, started by
// start_prim and stopped by stop_prim.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeZip } from '../src/catalog/zip.js';
import { labUnavailable, type Lab } from '../src/lab/lab.js';
import { until } from './helpers.js';

const START = (listen: string) => `#!/bin/sh
nohup ${process.execPath} -e "require('http').createServer((q,r)=>r.end(process.env.NODE_NAME)).listen(8080,'${listen}')" > /dev/null 2>&1 &
echo $! > "$SAFEUSERVAR/app.pid"
`;
const STOP = `#!/bin/sh
[ -f "$SAFEUSERVAR/app.pid" ] && kill "$(cat "$SAFEUSERVAR/app.pid")" 2>/dev/null; rm -f "$SAFEUSERVAR/app.pid"; exit 0
`;

/** Why the witness tests cannot run here (no lab, or no arping to move the VIP), or false. */
export function witnessLabSkip(): string | false {
  return labUnavailable() || (process.getuid?.() === 0 && spawnSync('arping', ['-V']).error ? 'needs arping (iputils-arping)' : false);
}

/** The lab's client namespace n3 as the split-brain witness. */
export function witnessCheck(net: string): string {
  return `<check><splitbrain ident="witness" arg="${net}.3"/></check>`;
}

/**
 * The module of the witness tests: a VIP at `net`.100 and the witness; interface checks are off,
 * as SafeKit's split-brain test says.
 */
export function witnessModule(net: string): string {
  return `<safe><service mode="mirror" timing="fast"><heart><heartbeat name="default"/></heart>
  <vip><interface_list><interface check="off"><real_interface><virtual_addr addr="${net}.100" where="one_side_alias" netmask="255.255.255.0"/></real_interface></interface></interface_list></vip>
  <user/>${witnessCheck(net)}</service></safe>`;
}

export interface MirrorLab {
  /** `state -m app -lq` on a node: STOP, WAIT, ALONE, PRIM, SECOND. */
  state(node: string): string;
  log(node: string): string;
  /** What the client n3 gets from http://host:8080 ("n1", "n2" or "ERR <code>"). */
  ask(host: string): string;
  holdsAddress(node: string, addr: string): boolean;
  /** Starts (again) tandemd on a node (with `env` added: TANDEM_BOOT_ID makes it a reboot); its process is in `daemons`. */
  startDaemon(node: string, env?: NodeJS.ProcessEnv): void;
  readonly daemons: Record<string, ChildProcess>;
  /** Waits for the two states, and says both and the last log lines if they do not come. */
  waitStates(what: string, n1: string, n2: string, ms?: number): Promise<void>;
}

/** `net` is the lab's /24 prefix ("10.79.0"); `listen` the address the application binds. */
export async function mirrorLab(lab: Lab, dir: string, net: string, moduleXml: string, listen: string): Promise<MirrorLab> {
  writeFileSync(join(dir, 'cluster.xml'), `<cluster><lans pulse="100" slost_count="6"><lan name="default">
    <node name="n1" addr="${net}.1"/><node name="n2" addr="${net}.2"/><node name="n3" addr="${net}.3"/></lan></lans></cluster>`);
  assert.equal(lab.tandem('n1', 'cluster', 'config', join(dir, 'cluster.xml')).status, 0);
  assert.equal(lab.tandem('n1', 'cluster', 'package', join(dir, 'cluster.zip')).status, 0);
  assert.equal(lab.tandem('n2', 'cluster', 'config', join(dir, 'cluster.zip')).status, 0);
  const pkg = join(dir, 'app.safe');
  writeFileSync(pkg, writeZip([
    { name: 'conf/userconfig.xml', data: Buffer.from(moduleXml), mode: 0o644 },
    { name: 'bin/start_prim', data: Buffer.from(START(listen)), mode: 0o755 },
    { name: 'bin/stop_prim', data: Buffer.from(STOP), mode: 0o755 },
  ]));
  assert.equal(lab.tandem('n1', 'module', 'install', '-m', 'app', pkg).status, 0);
  const configured = lab.tandem('n1', 'config', '-m', 'app');
  assert.equal(configured.status, 0, configured.stderr);
  const daemons: Record<string, ChildProcess> = {};
  const state = (n: string) => lab.tandem(n, 'state', '-m', 'app', '-lq').stdout.trim();
  const log = (n: string) => lab.tandem(n, 'log', '-m', 'app', '-A').stdout;
  const m: MirrorLab = {
    daemons, state, log,
    ask: (host) => lab.run('n3', [process.execPath, '-e', `require('http').get({host:'${host}',port:8080},(r)=>{let b='';r.on('data',(c)=>b+=c);r.on('end',()=>console.log(b))}).on('error',(e)=>console.log('ERR '+e.code)).setTimeout(500,function(){this.destroy()})`], 5000).stdout.trim(),
    holdsAddress: (n, addr) => lab.run(n, ['ip', '-o', 'addr', 'show', 'dev', 'eth0']).stdout.includes(` ${addr}/`),
    startDaemon: (n, env = {}) => { daemons[n] = lab.startDaemon(n, { NODE_NAME: n, ...env }); },
    waitStates: (what, s1, s2, ms = 30_000) => until(what, () => state('n1') === s1 && state('n2') === s2, ms, 200)
      .catch((e: Error) => { throw new Error(`${e.message} (n1 ${state('n1')}, n2 ${state('n2')})\n--- n1\n${log('n1').split('\n').slice(-15).join('\n')}\n--- n2\n${log('n2').split('\n').slice(-15).join('\n')}`); }),
  };
  m.startDaemon('n1');
  m.startDaemon('n2');
  await until('both daemons answer', () => lab.tandem('n1', 'state').status === 0 && lab.tandem('n2', 'state').status === 0, 20_000, 200);
  assert.equal(lab.tandem('n1', '-H', 'n2', '-E', 'app').status, 0);
  await until('n2 runs the module', () => lab.tandem('n2', 'state', '-m', 'app').status === 0, 20_000, 200);
  return m;
}
