#!/usr/bin/env node
// tandem — the command line. `tandem --help` lists commands; each has an example in its help.

import { parseSafekitDate } from './dates.js';
import { parseRfssync, rfsReport } from './rfs.js';
import { Command, Option } from 'commander';
import { hostname, release, type } from 'node:os';
import { configCheck } from './config-check.js';
import { saveLog, showCmdlog, showLog } from './logs.js';
import { bootSetting, getResource, sendCommand, setResource, showState, switchSetting, waitFor } from './module-control.js';
import { cleanModule, errdList, moduleProcesses, shutdownAll } from './module-admin.js';
import { clusterGenkey, clusterState } from './cluster.js';
import { clusterConfcheck, clusterConfig, clusterConfinfo, clusterDeconfig, clusterDelkey, clusterPackage } from './cluster-config.js';
import { distributedArgs, runDistributed } from './distributed.js';
import { tryDaemon } from './client.js';
import { labCrash, labDaemon, labDown, labExec, labStatus, labTandem, labUp } from './lab.js';
import { paths } from '../daemon/paths.js';
import { VERSION } from '../daemon/version.js';
import { printToModuleLog, recorded } from './record.js';
import { EXIT, emit, fail, type Output } from './output.js';
import type { ModuleCatalog } from '../catalog/catalog.js';
import { moduleConfcheck, moduleConfig, moduleConfinfo, moduleDeconfig, moduleDelkey, moduleGenkey, moduleGetports, moduleInstall, moduleList, modulePackage, moduleUninstall, reconcileDaemon, withCatalog } from './module.js';

const version = VERSION;

const program = new Command('tandem')
  .description('software-only high availability: mirror and farm modules, SafeKit-compatible')
  .version(version, '-V, --version')
  .option('--json', 'print one JSON document instead of text')
  .option('--root <dir>', 'file-system root of this node (tests and labs); also TANDEM_ROOT')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText('after', '\nOn other nodes: tandem -H "*"|"n1,n2" COMMAND… runs it on each (output per node); -H "*" -G pushes this\nnode\'s cluster configuration and keys; -H "n2" -E AM installs module AM there with the same id.\n\nExit codes: 0 ok, 1 refused or failed, 2 invalid input, 3 daemon not running (docs/cli.md).');

const out = (): Output => ({ json: !!program.opts().json });

// `tandem -p` (SafeKit's `safekit -p`): where this node keeps its files. Handled before commander
// so that an unknown command still gets commander's "unknown command" message.
program.option('-p, --paths', 'print where this node keeps its files (like safekit -p), then exit');
function printPaths(argv: readonly string[]): boolean {
  if (!argv.includes('-p') && !argv.includes('--paths')) return false;
  const at = argv.indexOf('--root');
  const p = paths(at >= 0 ? argv[at + 1] : undefined);
  emit({ json: argv.includes('--json') }, p, () => [`TANDEM_ETC=${p.etc}`, `TANDEM_LIB=${p.lib}`, `TANDEM_LOG=${p.log}`, `TANDEM_RUN=${p.run}`].join('\n'));
  return true;
}
const root = (): string | undefined => program.opts().root;
const example = (cmd: Command, text: string): Command => cmd.addHelpText('after', `\nExample:\n  ${text}`);

const config = program.command('config').description('apply a module configuration (-m AM), or check configuration files (config check)')
  .option('-m, --module <AM>', 'module whose /etc/tandem/modules/AM configuration to check and apply')
  .action(async (o: { module?: string }) => {
    if (!o.module) { config.help({ error: true }); return; }
    await moduleChange(['config', '-m', o.module], o.module, (c) => moduleConfig(c, out(), o.module!));
  });
config.addHelpText('after', '\nExample:\n  tandem config -m mirror');
example(config.command('check')
  .description('validate cluster.xml and userconfig.xml files; print every problem with line:col and the effective timings')
  .argument('<files...>', 'cluster.xml and/or userconfig.xml files')
  .option('--cluster <file>', 'cluster.xml to check module files against')
  .option('--id <n>', 'module id (ports derive from it)')
  .option('--name <AM>', 'module name')
  .option('--nodes <n1,n2>', 'nodes the module is installed on')
  .action((files: string[], o) => { process.exitCode = configCheck(files, o, out()); }),
'tandem config check --cluster /etc/tandem/cluster.xml /etc/tandem/modules/mirror/conf/userconfig.xml');

example(program.command('level')
  .description('host, OS and tandem version')
  .action(() => {
    const info = { host: hostname(), os: `${type()} ${release()}`, version, license: 'Apache-2.0 (no license key needed)' };
    emit(out(), info, () => `Host    : ${info.host}\nOS      : ${info.os}\ntandem  : ${info.version}\nLicense : ${info.license}`);
  }), 'tandem level');

const logOptions = (cmd: Command): Command => cmd
  .requiredOption('-m, --module <AM>', 'module name')
  .option('-s, --size <n>', 'number of messages (default 300)')
  .option('-A, --all', 'verbose: every level, with I and D')
  .option('-I, --info', 'also I (information) messages');
example(logOptions(program.command('log').description('print the last messages of a module log (levels U E C S; -I adds I, -A all)'))
  .action(async (o) => { process.exitCode = await showLog({ ...o, module: o.module, root: root() }, out()); }),
'tandem log -m mirror -s 50');
example(logOptions(program.command('logview').description('print and follow a module log live (local node only)'))
  .option('--once', 'print and exit instead of following')
  .action(async (o) => { process.exitCode = await showLog({ ...o, module: o.module, follow: !o.once, root: root() }, out()); }),
'tandem logview -m mirror -A');
example(program.command('cmdlog').description('print the node command log').option('-s, --size <n>', 'number of entries (default 300)')
  .action((o) => { process.exitCode = showCmdlog({ size: o.size, root: root() }, out()); }), 'tandem cmdlog --json');

for (const [name, level] of [['printi', 'I'], ['printe', 'E']] as const) {
  example(program.command(name)
    .description(`write a message from a script into the module log (${level === 'I' ? 'I: verbose log only' : 'E: the normal log'})`)
    .requiredOption('-m, --module <AM>', 'module name (SAFEMODULE in scripts)', process.env.SAFEMODULE)
    .argument('<message...>')
    .action((words: string[], o: { module: string }) => {
      printToModuleLog(root(), o.module, level, words.join(' '));
      emit(out(), { ok: true }, () => '');
    }), `tandem ${name} -m mirror "database checkpoint done"`);
}

// Module installation and configuration: files and the node store; a running tandemd is told after.
/** A recorded, state-changing catalog command; then tandemd adjusts its module processes. */
async function moduleChange(args: string[], module: string, fn: (c: ModuleCatalog) => number): Promise<void> {
  process.exitCode = await recorded(root(), module, args, () => withCatalog(out(), root(), fn));
  if (process.exitCode === EXIT.ok) await reconcileDaemon(root(), module);
}
const moduleName = (cmd: Command): Command => cmd.requiredOption('-m, --module <AM>', 'module name');
example(moduleName(program.command('deconfig').description('remove the applied configuration of a module (its files in /etc/tandem/modules/AM stay); runs bin/deconfig'))
  .action((o: { module: string }) => moduleChange(['deconfig', '-m', o.module], o.module, (c) => moduleDeconfig(c, out(), o.module))), 'tandem deconfig -m mirror');
example(moduleName(program.command('confcheck').description('check a module configuration against the cluster and this machine, without applying it; runs bin/confcheck'))
  .action((o: { module: string }) => { process.exitCode = withCatalog(out(), root(), (c) => moduleConfcheck(c, out(), o.module)); }), 'tandem confcheck -m mirror');
example(moduleName(program.command('confinfo').description('signature and date of the applied (active) configuration against the editable (current) one'))
  .action((o: { module: string }) => { process.exitCode = withCatalog(out(), root(), (c) => moduleConfinfo(c, out(), o.module)); }), 'tandem confinfo -m mirror');

const modules = program.command('module').description('install, package and list modules');
example(moduleName(modules.command('install').description('install a .safe package as module AM (ids are equal on every node: -M forces one)'))
  .argument('[file.safe]', 'package to install (default: the shipped template named AM: mirror, farm, customchecker)').option('-M, --id <n>', 'module id').option('-r, --reinstall', 'replace an installed module, keeping its id')
  .option('--nodes <n1,n2>', 'the nodes the module is installed on (-E records them; a mirror in a larger cluster finds its peer this way)')
  .action((file: string | undefined, o: { module: string; id?: string; reinstall?: boolean; nodes?: string }) => moduleChange(['module', 'install', '-m', o.module, ...(file ? [file] : [])], o.module, (c) => moduleInstall(c, out(), o.module, file, o))),
'tandem module install -m mirror   (the shipped template; or a FILE.safe)');
example(moduleName(modules.command('uninstall').description('deconfigure and remove a module from this node'))
  .action((o: { module: string }) => moduleChange(['module', 'uninstall', '-m', o.module], o.module, (c) => moduleUninstall(c, out(), o.module))), 'tandem module uninstall -m mirror');
example(moduleName(modules.command('package').description('zip the module directory into a .safe file (absolute path)')).argument('<file.safe>')
  .action((file: string, o: { module: string }) => { process.exitCode = withCatalog(out(), root(), (c) => modulePackage(c, out(), o.module, file)); }), 'tandem module package -m mirror /root/mirror.safe');
example(modules.command('list').description('installed modules').action(() => { process.exitCode = withCatalog(out(), root(), (c) => moduleList(c, out(), false)); }), 'tandem module list');
example(modules.command('listid').description('installed modules with their ids').action(() => { process.exitCode = withCatalog(out(), root(), (c) => moduleList(c, out(), true)); }), 'tandem module listid');
example(moduleName(modules.command('genkey').description('a new module key (authenticates its heartbeats; effective at the next config -m; travels with -E)'))
  .action((o: { module: string }) => moduleChange(['module', 'genkey', '-m', o.module], o.module, (c) => moduleGenkey(c, out(), o.module))), 'tandem module genkey -m mirror && tandem config -m mirror && tandem -H n2 -E mirror');
example(moduleName(modules.command('delkey').description('delete the module key: the module then runs unauthenticated, with a warning'))
  .action((o: { module: string }) => moduleChange(['module', 'delkey', '-m', o.module], o.module, (c) => moduleDelkey(c, out(), o.module))), 'tandem module delkey -m mirror');
example(modules.command('processes').description('the module processes tandemd runs: pid, starts, given up after repeated deaths')
  .action(async () => { process.exitCode = await moduleProcesses(out(), root()); }), 'tandem module processes');
example(modules.command('getports').description('ports a module uses').option('-m, --module <AM>', 'module name').option('-i, --id <n>', 'module id')
  .action((o: { module?: string; id?: string }) => { process.exitCode = withCatalog(out(), root(), (c) => moduleGetports(c, out(), o.module, o.id)); }), 'tandem module getports -m mirror');

// Module control and script verbs: through tandemd and the module's process. -i IDENT marks an
// automatic caller (counts toward maxloop); without it a command is administrative.
const control = (name: string, description: string, text: string): Command => example(program.command(name).description(description)
  .option('-m, --module <AM>', 'module name (default: SAFEMODULE in module scripts)', process.env.SAFEMODULE), text);
const act = (verb: string, fn: () => Promise<number>, module?: string, args: string[] = []) => async () => {
  process.exitCode = await recorded(root(), module ?? '', [verb, ...(module ? ['-m', module] : []), ...args], fn);
};
const simple: [string, string, string][] = [
  ['start', 'start the module; a mirror takes the role its data allows', 'tandem start -m mirror'],
  ['stop', 'stop the module (scripts, VIP, replication)', 'tandem stop -m mirror'],
  ['restart', 'restart the application scripts only, no failover', 'tandem restart -m mirror'],
  ['stopstart', 'stop then start again (a primary fails over)', 'tandem stopstart -m mirror'],
  ['forcestop', 'stop at once when stop has no effect', 'tandem forcestop -m mirror'],
  ['primforce', 'mirror: primary despite a resync interrupted on this node', 'tandem primforce -m mirror'],
];
for (const [name, description, text] of simple) {
  control(name, description, text).option('-i, --identity <name>', 'automatic caller (checker, errd, script): counts toward maxloop')
    .action((o: { module?: string; identity?: string }) => act(name, () => sendCommand(out(), root(), name, o.module, { kind: name as 'start' }, o.identity), o.module, o.identity ? ['-i', o.identity] : [])());
}
control('swap', 'mirror: exchange the primary and secondary roles (nosync: skip the resync)', 'tandem swap -m mirror').argument('[nosync]').option('-i, --identity <name>', 'automatic caller')
  .action((arg: string | undefined, o: { module?: string; identity?: string }) => act('swap', () => sendCommand(out(), root(), 'swap', o.module, { kind: 'swap', nosync: arg === 'nosync' }, o.identity), o.module)());
for (const kind of ['prim', 'second'] as const) {
  control(kind, kind === 'prim' ? 'mirror: force this node to start as primary (fullsync: copy everything to the peer)' : 'mirror: start as secondary of the running primary (fullsync: copy everything)', `tandem ${kind} -m mirror`)
    .argument('[fullsync]').action((arg: string | undefined, o: { module?: string }) => act(kind, () => sendCommand(out(), root(), kind, o.module, { kind, fullsync: arg === 'fullsync' }), o.module)());
}
control('secondforce', 'mirror: start as secondary receiving only the files modified since a date (the copy was restored from a backup of that date)', 'tandem secondforce -d 2026-11-30 -m mirror')
  .requiredOption('-d, --date <date>', 'YYYY-MM-DD, "YYYY-MM-DD hh:mm:ss" or YYYY-MM-DDThh:mm:ss; Z for UTC, else local time')
  .action((o: { module?: string; date: string }) => {
    const d = parseSafekitDate(o.date);
    if (!d.ok) fail(out(), EXIT.invalid, `secondforce: ${d.message}`, 'give the date of the backup the secondary\'s copy was restored from');
    return act('secondforce', () => sendCommand(out(), root(), 'secondforce', o.module, { kind: 'secondforce', sinceMs: d.ms }), o.module, ['-d', o.date])();
  });
control('rfssync', 'mirror: the synchronization policy; full: the next synchronization copies everything; external|-d prim|second <uid>: seed the secondary from a backup', 'tandem rfssync external prim nightly -m mirror')
  .argument('[words...]', 'full | external prim|second <uid> | -d prim|second <uid>').allowUnknownOption()
  .addHelpText('after', `
External synchronization (a large copy seeded from a backup rather than sent whole):
  1. on the primary:            tandem rfssync external prim <uid> -m AM   (changes are recorded from now on)
  2. back up the replicated directories there, restore the backup on the other node (module stopped)
  3. on the restored node:      tandem rfssync external second <uid> -m AM
  4. start it:                  tandem start -m AM   (only what changed since step 1 is sent)
-d instead of external: the restored copy is not checked for changes made after step 3.`)
  .action((_words: string[], o: { module?: string }, cmd: Command) => {
    const words = cmd.args;
    const r = parseRfssync(words);
    if (!r.ok) return fail(out(), EXIT.invalid, `rfssync ${words.join(' ')}: ${r.message}`, 'see "tandem rfssync --help"');
    return act('rfssync', () => sendCommand(out(), root(), 'rfssync', o.module, { kind: 'rfssync', full: r.full, ...(r.seed ? { seed: r.seed } : {}) }), o.module, words)();
  });
control('state', 'state of a module (-v: with every resource; -lq: as exit code STOP 0 WAIT 1 ALONE/UP 2 PRIM 3 SECOND 4), or of every module', 'tandem state -m mirror -v')
  .option('-v, --verbose', 'every resource: name value date').option('--lq', 'print the state and return it as the exit code').addOption(new Option('-l').hideHelp()).addOption(new Option('-q').hideHelp())
  .action(async (o: { module?: string; verbose?: boolean; lq?: boolean; l?: boolean; q?: boolean }) => { process.exitCode = await showState(out(), root(), o.module, { verbose: o.verbose, lq: o.lq || (o.l && o.q) }); });
control('waitstate', 'wait until the module reaches a stable state: STOP WAIT ALONE UP PRIM SECOND', 'tandem waitstate -m mirror PRIM --timeout 60').argument('<STATE>').option('--timeout <s>', 'give up after this many seconds (exit 1)')
  .action(async (want: string, o: { module?: string; timeout?: string }) => { process.exitCode = await waitFor(out(), root(), 'waitstate', o.module, want, o.timeout); });
for (const verb of ['waitstart', 'waitstop']) {
  control(verb, verb === 'waitstart' ? 'wait until the module has started (a stable state other than STOP)' : 'wait until the module is stopped', `tandem ${verb} -m mirror`).option('--timeout <s>', 'give up after this many seconds (exit 1)')
    .action(async (o: { module?: string; timeout?: string }) => { process.exitCode = await waitFor(out(), root(), verb, o.module, undefined, o.timeout); });
}
control('set', 'set a resource (custom checkers report this way); -n without history, -l with', 'tandem set -m mirror -r custom.app -v down -i appcheck')
  .requiredOption('-r, --resource <name>', 'resource name').requiredOption('-v, --value <value>', 'new value').option('-n', 'do not record it in the history').option('-l', 'record it in the history (the default)').option('-i, --identity <name>', 'who sets it (appears in the log)')
  .action((o: { module?: string; resource: string; value: string; n?: boolean; identity?: string }) => act('set', () => setResource(out(), root(), o.module, o), o.module, ['-r', o.resource, '-v', o.value])());
control('get', 'print the value of a resource', 'tandem get -m mirror -r usersetting.failover').requiredOption('-r, --resource <name>', 'resource name')
  .action(async (o: { module?: string; resource: string }) => { process.exitCode = await getResource(out(), root(), o.module, o.resource); });
for (const verb of ['failover', 'checker'] as const) {
  control(verb, verb === 'failover' ? 'mirror automatic failover on | off (persists; works on a stopped module)' : 'all checkers on | off (persists; works on a stopped module)', `tandem ${verb} off -m mirror`).argument('<on|off>')
    .action((what: string, o: { module?: string }) => act(verb, () => switchSetting(out(), root(), verb, o.module, [what]), o.module, [what])());
}
control('errd', 'process monitoring: on | off | enable CLASS | disable CLASS | list', 'tandem errd off -m mirror').argument('<action>').argument('[class]')
  .action((what: string, cls: string | undefined, o: { module?: string }) => (what === 'list'
    ? (process.exitCode = errdList(out(), root(), o.module), undefined)
    : act('errd', () => switchSetting(out(), root(), 'errd', o.module, [what, ...(cls ? [cls] : [])]), o.module, [what])()));
control('boot', 'start the module when the node boots: on | off | status', 'tandem boot status').argument('<on|off|status>')
  .action((what: string, o: { module?: string }) => (what === 'status'
    ? bootSetting(out(), root(), o.module, what).then((c) => { process.exitCode = c; })
    : act('boot', () => bootSetting(out(), root(), o.module, what), o.module, [what])()));
for (const [verb, op] of [['incloop', 'inc'], ['resetloop', 'reset'], ['checkloop', 'check']] as const) {
  control(verb, { inc: 'count one recovery toward maxloop (exit 1 when that one exceeds it)', reset: 'reset the maxloop counter', check: 'exit 0 when another recovery is allowed, 1 when maxloop is reached' }[op], `tandem ${verb} -m mirror -i myhandler`)
    .option('-i, --identity <name>', 'caller').action((o: { module?: string; identity?: string }) => act(verb, () => sendCommand(out(), root(), verb, o.module, { kind: 'loop', op }, o.identity ?? 'script'), o.module)());
}
control('rfsverify', 'on the secondary: compare its copy of the replicated directories with the primary\'s, entry by entry and block by block (exit 1 when they differ)', 'tandem rfsverify -m mirror')
  .action(async (o: { module?: string }) => { process.exitCode = await rfsReport(out(), root(), 'verify', o.module); });
control('rfsdiff', 'on the primary: what changed since the secondary left (entries, bytes) and the estimated time to send it', 'tandem rfsdiff -m mirror')
  .action(async (o: { module?: string }) => { process.exitCode = await rfsReport(out(), root(), 'diff', o.module); });
example(program.command('shutdown').description('stop every module of this node (the OS shutdown path)')
  .action(() => act('shutdown', () => shutdownAll(out(), root()))()), 'tandem shutdown');
control('clean', 'last resort: wipe the module log (log), reset its resources (resource), restart its process (process), or all', 'tandem clean log -m mirror').argument('[what]', 'all | log | resource | process', 'all')
  .action((what: string, o: { module?: string }) => act('clean', () => cleanModule(out(), root(), o.module, what), o.module, [what])());
example(program.command('logsave').description('save the module log into a file (absolute path)').requiredOption('-m, --module <AM>', 'module name').option('-A, --all', 'every level').argument('<file>')
  .action((file: string, o: { module: string; all?: boolean }) => { process.exitCode = saveLog({ ...o, file, root: root() }, out()); }), 'tandem logsave -m mirror /tmp/mirror-log.txt');

const lab = example(program.command('lab').description('a lab of network namespaces on this host for the demo: nodes on a bridge, each with its own network and mount namespace (root)'), 'tandem lab up --nodes 3');
example(lab.command('up').description('make the lab: N nodes on SUBNET.0/24').option('--nodes <n>', 'number of nodes (2-9)', '3').option('--subnet <a.b.c>', 'the /24 the nodes live on', '10.77.0').option('--dir <dir>', 'where the nodes keep their files', '/var/lib/tandem-lab')
  .action((o: { nodes?: string; subnet?: string; dir?: string }) => { process.exitCode = labUp(out(), o); }), 'tandem lab up --nodes 3');
example(lab.command('status').description('the lab nodes, their addresses and processes').action(() => { process.exitCode = labStatus(out()); }), 'tandem lab status');
example(lab.command('down').description('remove the lab: processes, namespaces, mounts').action(() => { process.exitCode = labDown(out()); }), 'tandem lab down');
example(lab.command('exec').description('run a command inside a lab node').argument('<node>').argument('<command...>')
  .action((node: string, argv: string[]) => { process.exitCode = labExec(out(), node, argv); }), 'tandem lab exec n1 -- ip addr');
example(lab.command('tandem').description('run tandem on a lab node').argument('<node>').argument('[args...]').allowUnknownOption()
  .action((node: string, args: string[]) => { process.exitCode = labTandem(out(), node, args); }), 'tandem lab tandem n1 -- state -m mirror');
example(lab.command('daemon').description('start tandemd on a lab node, in the background').argument('<node>')
  .action((node: string) => { process.exitCode = labDaemon(out(), node); }), 'tandem lab daemon n1');
example(lab.command('crash').description('kill -9 every process of a lab node (a power failure, as the others see it)').argument('<node>')
  .action((node: string) => { process.exitCode = labCrash(out(), node); }), 'tandem lab crash n1');

const cluster = example(program.command('cluster').description('cluster configuration, keys and membership state'), 'tandem cluster confinfo');
const clusterCommands: [string, string, string][] = [
  ['config', 'apply cluster.xml (new cluster key and CA), a cluster zip (with its keys), or nothing (new keys); lock | unlock', 'tandem cluster config /etc/tandem/cluster.xml'],
  ['package', 'write the applied cluster.xml and its keys into a zip for another node (absolute path; it holds secrets)', 'tandem cluster package /root/cluster.zip'],
  ['confcheck', 'validate a cluster.xml without applying it', 'tandem cluster confcheck cluster.xml'],
  ['confinfo', 'signature, date and lock of the applied cluster configuration (every node: tandem -H "*" cluster confinfo)', 'tandem cluster confinfo'],
  ['deconfig', 'remove the cluster configuration and key', 'tandem cluster deconfig'],
  ['state', 'every node of the cluster and whether the membership of this node sees it up', 'tandem cluster state --json'],
  ['genkey', 'create a new cluster key and CA (then push them: tandem -H "*" -G)', 'tandem cluster genkey'],
  ['delkey', 'delete the cluster key', 'tandem cluster delkey'],
];
// what each cluster command does (state goes through tandemd; the others work on this node's files)
const clusterActions: Record<string, (args: string[]) => void | Promise<void>> = {
  state: () => clusterState(out(), root()),
  genkey: async () => { process.exitCode = await recorded(root(), '', ['cluster', 'genkey'], () => { clusterGenkey(out(), root()); return EXIT.ok; }); await tryDaemon(root(), 'POST', '/api/v1/cluster/reload'); },
  config: async (args) => {
    process.exitCode = await recorded(root(), '', ['cluster', 'config', ...args], () => clusterConfig(args, out(), root()));
    if (process.exitCode === EXIT.ok && !['lock', 'unlock'].includes(args[0])) await tryDaemon(root(), 'POST', '/api/v1/cluster/reload');
  },
  package: (args) => { process.exitCode = clusterPackage(args[0], out(), root()); },
  confcheck: (args) => { process.exitCode = clusterConfcheck(args[0], out()); },
  confinfo: () => { process.exitCode = clusterConfinfo(out(), root()); },
  deconfig: async () => { process.exitCode = await recorded(root(), '', ['cluster', 'deconfig'], () => clusterDeconfig(out(), root())); },
  delkey: async () => { process.exitCode = await recorded(root(), '', ['cluster', 'delkey'], () => clusterDelkey(out(), root())); },
};
for (const [sub, description, text] of clusterCommands) {
  const action = clusterActions[sub];
  example(cluster.command(sub).description(description).argument('[args...]').action(action), text);
}

/** `-H hosts …` runs on other nodes; --root stays a local matter (it names where this node's files are). */
function distributed(argv: readonly string[]): boolean {
  const d = distributedArgs(argv);
  if (!d) return false;
  const at = d.rest.indexOf('--root');
  const localRoot = at >= 0 ? d.rest[at + 1] : undefined;
  const rest = at >= 0 ? [...d.rest.slice(0, at), ...d.rest.slice(at + 2)] : d.rest;
  runDistributed(d.hosts, rest, localRoot).then((code) => { process.exitCode = code; }, (e: Error) => {
    process.stderr.write(`tandem: ${e.message}\n`);
    process.exitCode = EXIT.failed;
  });
  return true;
}

const argv = process.argv.slice(2);
if (!printPaths(argv) && !distributed(argv)) program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`tandem: ${e.message}\n`);
  process.exitCode = EXIT.failed;
});
