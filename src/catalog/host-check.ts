// Checks of a module configuration against this machine, done at `config -m` and `confcheck -m`
// (SAFEKIT-BEHAVIOUR §8.5): the node is in the cluster, the interfaces the VIP names exist here, the
// replicated directories exist and are directories (and not a file-system root), the scripts are
// executable. Each problem names the element and the fix; none changes anything.

import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { ClusterConfig, ModuleConfig } from '../shared/config.js';

/** Interface names in this network namespace (`ip -o link`; getifaddrs when iproute2 is absent). */
export function localInterfaces(): Set<string> {
  try {
    const text = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return new Set(text.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter((n): n is string => !!n));
  } catch {
    return new Set(Object.keys(networkInterfaces()));
  }
}

const SYSTEM_DIRS = ['/usr', '/etc', '/var', '/boot', '/proc', '/sys', '/dev', '/run', '/bin', '/sbin', '/lib'];

export function hostProblems(config: ModuleConfig, node: string | null, cluster: ClusterConfig | null, binDir: string): string[] {
  const problems: string[] = [];
  if (!cluster) problems.push('this node has no cluster configuration: apply one with "tandem cluster config cluster.xml" first');
  else if (node && !cluster.nodeNames.includes(node)) problems.push(`this node "${node}" is not in cluster.xml (nodes: ${cluster.nodeNames.join(', ')})`);
  const names = localInterfaces();
  for (const intf of config.vip?.interfaces ?? []) {
    if (intf.name && !names.has(intf.name)) {
      problems.push(`<interface name="${intf.name}">: no such network interface on this node (it has ${[...names].sort().join(', ')}); name an existing one, or leave the name out to pick the interface by address`);
    }
  }
  for (const r of config.rfs?.replicated ?? []) {
    const bare = r.dir.replace(/\/+$/, '') || '/';
    if (bare === '/' || SYSTEM_DIRS.includes(bare)) {
      problems.push(`<replicated dir="${r.dir}">: a file-system root or system directory cannot be replicated; replicate an application directory`);
    } else if (!existsSync(r.dir)) problems.push(`<replicated dir="${r.dir}">: the directory does not exist on this node; create it (empty on the secondary) before configuring`);
    else if (!statSync(r.dir).isDirectory()) problems.push(`<replicated dir="${r.dir}">: not a directory`);
  }
  for (const script of ['prestart', 'start_prim', 'stop_prim', 'start_both', 'stop_both', 'poststop', 'confcheck', 'config', 'postconfig', 'deconfig']) {
    const path = join(binDir, script);
    if (!existsSync(path)) continue;
    try { accessSync(path, constants.X_OK); } catch { problems.push(`bin/${script} is not executable: chmod +x it`); }
  }
  return problems;
}
