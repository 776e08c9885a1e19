/**
 * Holding parameters fixed from a step on (`train.freeze`).
 *
 * For every step s ≥ from_step, the named slices of the flat parameter vector are set back, after
 * the optimizer's update, to the values they had before the update of step from_step. The other
 * parameters train as usual (their Adam moments, the weight decay and the schedule are untouched),
 * so the run is the unfrozen run step for step up to from_step, and from then on the frozen slices
 * are bit for bit constant. A resumed run captures the values at its first step ≥ from_step, which
 * are the same values, because they have not moved since.
 *
 * Names are TransformerLens' state_dict keys (model/layout.ts) or a prefix ending before a dot:
 * 'blocks.0.attn' selects W_Q, W_K, W_V, W_O, b_Q, b_K, b_V and b_O of layer 0.
 */
import { ConfigError } from '@sortscope/core';
import { type ModelConfig, paramLayout } from '@sortscope/model';

export interface FrozenParams {
  fromStep: number;
  /** [start, end) ranges of the flat vector that are held */
  ranges: [number, number][];
  /** record the held values (before the update of the first held step); later calls do nothing */
  capture(params: Float32Array): void;
  /** set the held slices back to their recorded values */
  restore(params: Float32Array): void;
}

export function frozenParams(cfg: ModelConfig, names: readonly string[], fromStep: number): FrozenParams {
  const layout = paramLayout(cfg);
  const ranges: [number, number][] = [];
  for (const n of names) {
    const hit = layout.params.filter((p) => p.name === n || p.name.startsWith(`${n}.`));
    if (hit.length === 0)
      throw new ConfigError(`train.freeze.params: '${n}' names no parameter of this model (it has: ${layout.params.map((p) => p.name).join(', ')}; a prefix such as 'blocks.0.attn' selects all of a block's attention)`);
    for (const p of hit) if (!ranges.some(([a]) => a === p.offset)) ranges.push([p.offset, p.offset + p.size]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let held: Float32Array[] | null = null;
  return {
    fromStep,
    ranges,
    capture(params) {
      if (held === null) held = ranges.map(([a, b]) => params.slice(a, b));
    },
    restore(params) {
      if (held === null) throw new Error('frozenParams.restore before capture');
      ranges.forEach(([a], i) => params.set(held![i], a));
    },
  };
}
