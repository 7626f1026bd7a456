#!/usr/bin/env node
// tandem — the command line. `tandem --help` lists commands; each has an example in its help.

import { Command, Option } from 'commander';
import { hostname, release, type } from 'node:os';
import { configCheck } from './config-check.js';
import { showCmdlog, showLog } from './logs.js';
import { needsDaemon } from './daemon.js';
import { clusterGenkey, clusterState } from './cluster.js';
import { clusterConfcheck, clusterConfig, clusterConfinfo, clusterDeconfig, clusterDelkey } from './cluster-config.js';
import { paths } from '../daemon/paths.js';
import { VERSION } from '../daemon/version.js';
import { printToModuleLog, recorded } from './record.js';
import { EXIT, emit, type Output } from './output.js';

const version = VERSION;

const program = new Command('tandem')
  .description('software-only high availability: mirror and farm modules, SafeKit-compatible')
  .version(version, '-V, --version')
  .option('--json', 'print one JSON document instead of text')
  .option('--root <dir>', 'file-system root of this node (tests and labs); also TANDEM_ROOT')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText('after', '\nExit codes: 0 ok, 1 refused or failed, 2 invalid input, 3 daemon not running (docs/cli.md).');

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

const config = program.command('config').description('configuration files');
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

// Module and cluster commands: they act through the node daemon.
const moduleCommands: [string, string, string][] = [
  ['start', 'start the module; a mirror takes the role its data allows', 'tandem start -m mirror'],
  ['stop', 'stop the module (scripts, VIP, replication)', 'tandem stop -m mirror'],
  ['restart', 'restart the application scripts only, no failover', 'tandem restart -m mirror'],
  ['stopstart', 'stop then start again (a primary fails over)', 'tandem stopstart -m mirror'],
  ['forcestop', 'stop at once when stop has no effect', 'tandem forcestop -m mirror'],
  ['swap', 'mirror: exchange the primary and secondary roles', 'tandem swap -m mirror'],
  ['prim', 'mirror: force this node to start as primary (add fullsync to copy everything to the peer)', 'tandem prim -m mirror'],
  ['second', 'mirror: start as secondary of the running primary (fullsync: copy everything)', 'tandem second -m mirror fullsync'],
  ['primforce', 'mirror: primary despite a resync interrupted on this node', 'tandem primforce -m mirror'],
  ['state', 'state of a module, or of every module', 'tandem state -m mirror -v'],
  ['waitstate', 'wait until the module reaches a state', 'tandem waitstate -m mirror PRIM'],
  ['errd', 'process monitoring: on | off | enable CLASS | disable CLASS | list', 'tandem errd off -m mirror'],
  ['checker', 'all checkers on | off', 'tandem checker off -m mirror'],
  ['failover', 'mirror automatic failover on | off', 'tandem failover off -m mirror'],
  ['set', 'set a resource: -r NAME -v VALUE', 'tandem set -m mirror -r custom.app -v down -i appcheck'],
  ['get', 'read a resource: -r NAME', 'tandem get -m mirror -r state.local'],
  ['shutdown', 'stop every module (OS shutdown path)', 'tandem shutdown'],
];
for (const [name, description, text] of moduleCommands) {
  example(program.command(name).description(`${description} (needs tandemd)`)
    .option('-m, --module <AM>', 'module name')
    .option('-i, --identity <name>', 'caller identity (automatic actions count toward maxloop)')
    .addOption(new Option('-r, --resource <name>').hideHelp())
    .addOption(new Option('-v, --value <value>').hideHelp())
    .argument('[args...]')
    .action(() => needsDaemon(name, out(), root())), text);
}
const cluster = example(program.command('cluster').description('cluster configuration, keys and membership state'), 'tandem cluster confinfo');
const clusterCommands: [string, string, string][] = [
  ['config', 'apply cluster.xml (new cluster key) or a zip with its keys; lock | unlock', 'tandem cluster config /etc/tandem/cluster.xml'],
  ['confcheck', 'validate a cluster.xml without applying it', 'tandem cluster confcheck cluster.xml'],
  ['confinfo', 'signature, date and lock of the applied cluster configuration (this node; all nodes with -H later)', 'tandem cluster confinfo'],
  ['deconfig', 'remove the cluster configuration and key', 'tandem cluster deconfig'],
  ['state', 'every node of the cluster and whether the membership of this node sees it up', 'tandem cluster state --json'],
  ['genkey', 'create a new cluster key (then copy it to every node)', 'tandem cluster genkey'],
  ['delkey', 'delete the cluster key', 'tandem cluster delkey'],
];
// cluster commands that work without the module supervisor (state goes through tandemd)
const local: Record<string, (args: string[]) => void | Promise<void>> = {
  state: () => clusterState(out(), root()),
  genkey: async () => { process.exitCode = await recorded(root(), '', ['cluster', 'genkey'], () => { clusterGenkey(out(), root()); return EXIT.ok; }); },
  config: async (args) => { process.exitCode = await recorded(root(), '', ['cluster', 'config', ...args], () => clusterConfig(args, out(), root())); },
  confcheck: (args) => { process.exitCode = clusterConfcheck(args[0], out()); },
  confinfo: () => { process.exitCode = clusterConfinfo(out(), root()); },
  deconfig: async () => { process.exitCode = await recorded(root(), '', ['cluster', 'deconfig'], () => clusterDeconfig(out(), root())); },
  delkey: async () => { process.exitCode = await recorded(root(), '', ['cluster', 'delkey'], () => clusterDelkey(out(), root())); },
};
for (const [sub, description, text] of clusterCommands) {
  const action = local[sub] ?? (() => needsDaemon(`cluster ${sub}`, out(), root()));
  example(cluster.command(sub).description(description).argument('[args...]').action(action), text);
}

if (!printPaths(process.argv.slice(2))) program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`tandem: ${e.message}\n`);
  process.exitCode = EXIT.failed;
});
