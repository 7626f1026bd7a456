// tandem config check [--cluster FILE] [--id N] [--name AM] [--nodes n1,n2] FILE…
// Validates configuration files without the daemon and without looking at the host: prints every
// problem with file:line:col and a fix, then the effective value of every defaulted timing.

import { basename, dirname } from 'node:path';
import { loadCluster, loadUserConfig } from '../config/load.js';
import { formatProblem, type Problem } from '../config/problems.js';
import { formatDuration } from '../config/time.js';
import { DEFAULT_TIMING } from '../config/timing.js';
import type { ClusterConfig, ModuleConfig } from '../shared/config.js';
import { EXIT, emit, type Output } from './output.js';

export interface CheckOptions {
  readonly cluster?: string;
  readonly id?: string;
  readonly name?: string;
  readonly nodes?: string;
}

interface FileReport {
  readonly file: string;
  readonly kind: 'cluster' | 'module';
  readonly valid: boolean;
  readonly problems: readonly Problem[];
  readonly effective?: Record<string, string>;
}

export function configCheck(files: readonly string[], options: CheckOptions, out: Output): number {
  const reports: FileReport[] = [];
  let cluster: ClusterConfig | undefined;
  const clusterFiles = [...(options.cluster ? [options.cluster] : []), ...files.filter(isClusterFile)];
  for (const file of clusterFiles) {
    const r = loadCluster(file);
    cluster ??= r.config ?? undefined;
    reports.push({ file, kind: 'cluster', valid: !r.problems.hasErrors, problems: r.problems.items, effective: r.config ? clusterTimings(r.config) : undefined });
  }
  const id = options.id === undefined ? undefined : Number(options.id);
  if (id !== undefined && (!Number.isInteger(id) || id < 1 || id > 128)) {
    reports.push({ file: '--id', kind: 'module', valid: false, problems: [{ severity: 'error', file: '--id', line: 0, col: 0, message: `module id "${options.id}" is not an integer from 1 to 128`, hint: 'give the id the module has on every node' }] });
  }
  for (const file of files.filter((f) => !isClusterFile(f))) {
    const r = loadUserConfig(file, {
      cluster, id: id && Number.isInteger(id) ? id : undefined, name: options.name ?? moduleNameOf(file),
      installedOn: options.nodes ? options.nodes.split(',').map((n) => n.trim()).filter(Boolean) : undefined,
    });
    reports.push({ file, kind: 'module', valid: !r.problems.hasErrors, problems: r.problems.items, effective: r.config ? moduleTimings(r.config) : undefined });
  }
  const valid = reports.every((r) => r.valid);
  emit(out, { valid, files: reports }, () => reports.map(renderReport).join('\n\n'));
  return valid ? EXIT.ok : EXIT.invalid;
}

function isClusterFile(file: string): boolean {
  return basename(file) === 'cluster.xml';
}

/** modules/AM/conf/userconfig.xml → AM */
function moduleNameOf(file: string): string {
  const conf = dirname(file);
  return basename(conf) === 'conf' ? basename(dirname(conf)) : 'AM';
}

function renderReport(r: FileReport): string {
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  const warnings = r.problems.length - errors;
  const head = r.valid
    ? `${r.file}: valid${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}`
    : `${r.file}: ${errors} error${errors > 1 ? 's' : ''}${warnings ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}`;
  const lines = [head, ...r.problems.map((p) => `  ${formatProblem(p).replace(/\n/g, '\n  ')}`)];
  if (r.valid && r.effective) {
    lines.push('  effective settings:');
    for (const [k, v] of Object.entries(r.effective)) lines.push(`    ${k.padEnd(34)} ${v}`);
  }
  return lines.join('\n');
}

function clusterTimings(c: ClusterConfig): Record<string, string> {
  return {
    'membership port (udp)': String(c.port),
    'membership pulse': formatDuration(c.pulseMs),
    'leader lost after': `${c.mlostCount} pulses (${formatDuration(c.mlostCount * c.pulseMs)})`,
    'follower lost after': `${c.slostCount} pulses (${formatDuration(c.slostCount * c.pulseMs)})`,
    nodes: c.nodeNames.join(', '),
  };
}

function moduleTimings(m: ModuleConfig): Record<string, string> {
  const t: Record<string, string> = {
    mode: m.mode, nodes: m.nodes.length ? m.nodes.join(', ') : 'where the module is installed',
    'timing profile': `${m.timing}${m.timing === DEFAULT_TIMING ? ' (default; <service timing="safekit"> gives SafeKit\'s 700 ms / 30 s)' : ''}`,
  };
  if (m.ports.heart) t['heartbeat port (udp)'] = String(m.ports.heart);
  if (m.ports.rfs) t['replication port (tcp)'] = String(m.ports.rfs);
  if (m.ports.farm) t['farm port (udp)'] = String(m.ports.farm);
  for (const h of m.heart?.heartbeats ?? []) t[`heartbeat ${h.ident} (lan ${h.lan})`] = `pulse ${formatDuration(h.pulseMs)}, timeout ${formatDuration(h.timeoutMs)}`;
  if (m.farm) t['farm membership'] = `pulse ${formatDuration(m.farm.pulseMs)}, leader lost after ${m.farm.mlostCount}, follower after ${m.farm.slostCount}`;
  t['failover rules'] = `every ${formatDuration(m.failoverRules.periodMs)}, act after ${formatDuration(m.failoverRules.handleTimeMs)} stable`;
  t['rules in force'] = m.failoverRules.rules.map((r) => r.name).join(', ') || 'none (replication rules are built in)';
  t.maxloop = m.loopIntervalMs === 0 ? 'off (loop_interval 0)' : `${m.maxloop} recoveries within ${formatDuration(m.loopIntervalMs)}`;
  t['boot'] = `${m.boot}, delay ${formatDuration(m.bootDelayMs)}`;
  if (m.mode === 'mirror') t.failover = m.failover ? 'on' : 'off';
  if (m.errd) t['process check (errd)'] = `every ${formatDuration(m.errd.polltimerMs)}: ${m.errd.procs.map((p) => `${p.name}→${p.action}`).join(', ')}`;
  for (const intf of m.vip?.interfaces ?? []) {
    for (const a of intf.addrs) {
      const extras = [intf.arpreroute ? `announced every ${formatDuration(intf.arpintervalMs)} for ${formatDuration(intf.arpelapseMs)}` : 'announced when set', a.connections ? 'connections counted' : '', m.vip!.tcpreset ? 'connections reset when unset' : ''];
      t[`virtual IP ${a.addr}`] = `${intf.name ? `on ${intf.name}, ` : ''}${extras.filter(Boolean).join(', ')}`;
    }
  }
  for (const c of m.checkers) t[`checker ${c.resource}`] = `when ${c.when}, every ${formatDuration(c.intervalMs)}, timeout ${formatDuration(c.timeoutMs)}, on down: ${c.action}`;
  if (m.user) t['stop scripts timeout'] = `graceful ${formatDuration(m.user.nicestoptimeoutMs)}, forced ${formatDuration(m.user.forcestoptimeoutMs)}`;
  if (m.rfs) {
    t['replicated dirs'] = m.rfs.replicated.map((r) => r.dir).join(', ');
    t['replication'] = `async=${m.rfs.async}, locktimeout ${formatDuration(m.rfs.locktimeoutMs)}, sendtimeout ${formatDuration(m.rfs.sendtimeoutMs)}, flow lan ${m.rfs.flowLan ?? '-'}`;
    t['resync'] = `${m.rfs.nbrei} threads, request timeout ${formatDuration(m.rfs.reitimeoutMs)}${m.rfs.reiallowedbwKBs ? `, capped at ${m.rfs.reiallowedbwKBs} KB/s` : ''}`;
  }
  return t;
}
