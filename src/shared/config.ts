// The normalised configuration: what src/config produces after parse → normalize → validate and
// what every other layer consumes. All durations are milliseconds; all defaults are filled in.

import type { ModuleMode } from './states.js';
import type { FailoverRule, RuleAction } from './rules.js';

export interface ClusterNode {
  readonly name: string;
  readonly addr: string;
  readonly laddr?: string;
}

export interface ClusterLan {
  readonly name: string;
  readonly command: boolean;
  readonly nodes: readonly ClusterNode[];
}

export interface ClusterConfig {
  readonly port: number;
  readonly pulseMs: number;
  readonly mlostCount: number;
  readonly slostCount: number;
  readonly lans: readonly ClusterLan[];
  /** Every node name, in the order of the first lan. */
  readonly nodeNames: readonly string[];
}

export type WhenClass = 'pre' | 'prim' | 'second' | 'sec' | 'both';

export interface HeartbeatConfig {
  readonly lan: string;
  readonly ident: string;
  readonly pulseMs: number;
  readonly timeoutMs: number;
}

export interface VirtualAddr {
  readonly addr: string;
  readonly where: 'alias' | 'one_side_alias' | 'one_side';
  readonly check: boolean;
  readonly connections: boolean;
  readonly netmask?: string;
}

export interface LbRule {
  readonly virtualAddr: string;
  readonly port: string;
  readonly proto: 'tcp' | 'udp' | 'arp';
  readonly filter: 'on_addr' | 'on_port' | 'on_ipid';
}

export interface LbGroup {
  readonly name: string;
  /** Empty: every farm node shares the group equally. */
  readonly hosts: readonly { readonly name: string; readonly power: number }[];
  readonly rules: readonly LbRule[];
}

export interface VipConfig {
  readonly tcpreset: boolean;
  readonly scriptcontrol: boolean;
  readonly interfaces: readonly {
    readonly name?: string;
    readonly check: boolean;
    readonly arpreroute: boolean;
    readonly arpintervalMs: number;
    readonly arpelapseMs: number;
    readonly vmacType?: 'vmac_directed' | 'vmac_invisible';
    readonly vmac?: string;
    readonly addrs: readonly VirtualAddr[];
  }[];
  readonly groups: readonly LbGroup[];
}

export interface ReplicatedDir {
  readonly dir: string;
  readonly readOnly: boolean;
  readonly tocheck: readonly string[];
  readonly notreplicatedPaths: readonly string[];
  /** POSIX ERE sources as written (without the leading "!"), with their JS translation. */
  readonly excludeRegex: readonly { readonly ere: string; readonly js: string }[];
  readonly includeOnlyRegex: readonly { readonly ere: string; readonly js: string }[];
}

export interface RfsConfig {
  readonly async: 'second' | 'none';
  readonly locktimeoutMs: number;
  readonly sendtimeoutMs: number;
  readonly reitimeoutMs: number;
  readonly checktimeMs: number;
  readonly checkintvMs: number;
  readonly nbrei: number;
  readonly nbremconn: number;
  readonly namespacepolicy: number;
  readonly ruzoneBlocksize: number;
  readonly reipacketsize: number;
  readonly reiallowedbwKBs?: number;
  readonly syncdeltaMin: number;
  readonly syncat?: string;
  readonly mountoversuffix: string;
  readonly replicated: readonly ReplicatedDir[];
  /** The lan carrying replication: heartbeat ident "flow", else <flow name>, else the first heartbeat. */
  readonly flowLan?: string;
}

export interface UserConfig {
  readonly nicestoptimeoutMs: number;
  readonly forcestoptimeoutMs: number;
  readonly logging: 'userlog' | 'none';
  readonly userlogsizeKB: number;
  readonly vars: readonly { readonly name: string; readonly value: string }[];
}

export interface ProcCheck {
  readonly name: string;
  readonly service: boolean;
  readonly nameregex?: string;
  readonly argregex?: string;
  readonly atleast: number;
  readonly atmax: number;
  readonly action: string;
  readonly cls: string;
  readonly startAfter: number;
}

export interface Checker {
  readonly type: 'tcp' | 'ping' | 'intf' | 'ip' | 'custom' | 'module' | 'splitbrain';
  readonly ident: string;
  /** The resource it sets, e.g. `tcp.web`. */
  readonly resource: string;
  readonly when: WhenClass;
  readonly action: RuleAction;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly target: Readonly<Record<string, string>>;
}

export interface FarmConfig {
  readonly port: number;
  readonly pulseMs: number;
  readonly mlostCount: number;
  readonly slostCount: number;
  readonly lans: readonly string[];
}

export interface ModuleConfig {
  readonly name: string;
  readonly id: number;
  readonly mode: ModuleMode;
  /** The timing profile that gave every default timing (config/timing.ts). */
  readonly timing: 'tandem' | 'safekit' | 'fast';
  readonly boot: 'ignore' | 'on' | 'off' | 'auto';
  readonly bootDelayMs: number;
  readonly failover: boolean;
  readonly defaultprim: string;
  readonly maxloop: number;
  readonly loopIntervalMs: number;
  readonly automaticReboot: boolean;
  readonly heart?: { readonly port: number; readonly permanentArp: boolean; readonly heartbeats: readonly HeartbeatConfig[] };
  readonly farm?: FarmConfig;
  readonly vip?: VipConfig;
  readonly rfs?: RfsConfig;
  readonly user?: UserConfig;
  readonly vhost: readonly { readonly name: string; readonly envfile: string; readonly when: string }[];
  readonly errd?: { readonly polltimerMs: number; readonly procs: readonly ProcCheck[] };
  readonly checkers: readonly Checker[];
  readonly failoverRules: { readonly extends: boolean; readonly periodMs: number; readonly handleTimeMs: number; readonly rules: readonly FailoverRule[] };
  /** The nodes the module runs on, when the config says (heartbeat or farm lans); else every cluster node. */
  readonly nodes: readonly string[];
  /** Derived ports (SAFEKIT-BEHAVIOUR §1.3). */
  readonly ports: { readonly heart?: number; readonly rfs?: number; readonly farm?: number };
}
