// The mirror's step builder: the shared Step plus persistence of the data generation.

import type { WhenClass } from '../../shared/config.js';
import type { MirrorState } from '../../shared/states.js';
import type { PersistedData } from '../actions.js';
import { Step as BaseStep } from '../step.js';
import type { Continuation, MirrorNode } from './types.js';

export class Step extends BaseStep<MirrorState, Continuation, MirrorNode> {
  constructor(s: MirrorNode, now: number) {
    super(s, now, { active: activeClasses, resources: (x) => x.settings.checkerResources }, 'heart');
  }

  /** Durable before anything after it (see actions.ts). */
  persist(patch: Partial<PersistedData>): void {
    this.set({ data: { ...this.s.data, ...patch } });
    this.push({ type: 'persist', data: this.s.data });
  }
}

export function activeClasses(s: Pick<MirrorNode, 'state' | 'qualifier' | 'data'>): WhenClass[] {
  if (!s.data.settings.checker || s.state === 'STOP') return [];
  const out: WhenClass[] = ['pre'];
  const ready = s.qualifier === 'Ready';
  if (ready && (s.state === 'ALONE' || s.state === 'PRIM')) out.push('prim', 'both');
  if (ready && s.state === 'SECOND') out.push('second', 'both');
  if (ready && (s.state === 'SECOND' || s.state === 'ALONE')) out.push('sec');
  return out;
}
