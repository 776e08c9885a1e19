/**
 * JSON-able views of a checkpoint's analysis (for `sortscope circuits --weights FILE --json`, the
 * stage's summary and its log lines): typed arrays become arrays, NaN becomes null, token sets
 * become lists and ranges ("28-36").
 */
import type { CheckpointAnalysis } from './analyse.ts';

/** Typed arrays → arrays, non-finite numbers → null, recursively. */
export function jsonable(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => jsonable(x));
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  return v;
}

/** The indices where mask is 1, as runs: [28, 29, 30, 40] → "28-30, 40". */
export function runsText(mask: ArrayLike<number>): string {
  const runs: string[] = [];
  for (let t = 0; t < mask.length; t++) {
    if (!mask[t] || (t > 0 && mask[t - 1])) continue;
    let e = t;
    while (e + 1 < mask.length && mask[e + 1]) e++;
    runs.push(e === t ? `${t}` : `${t}-${e}`);
  }
  return runs.join(', ') || 'none';
}

/** The analysis without the dense matrices, as plain JSON. */
export function analysisJson(a: CheckpointAnalysis) {
  return {
    measures: a.measures.map((m) => jsonable(m)),
    specialisation: a.specialisation.map((s) => ({
      ...(jsonable(s) as object),
      copies_tokens: runsText(s.copies),
      copy_range_tokens: runsText(s.copy_range),
    })),
    attention: a.attention.map((s) => jsonable(s)),
  };
}

/** One line per head: what it copies, its importance, and its OV circuit's symmetry. */
export function headLines(a: CheckpointAnalysis): string[] {
  return a.specialisation.map((s) => {
    const ov = a.measures.find((m) => m.layer === s.layer && m.head === s.head && m.circuit === 'OV' && m.convention === s.convention);
    const att = a.attention.find((x) => x.layer === s.layer && x.head === s.head);
    return (
      `L${s.layer}H${s.head}: copies ${runsText(s.copies)} (${s.regions} region${s.regions === 1 ? '' : 's'})` +
      (Number.isNaN(s.ablation_loss_increase) ? '' : `, ablation +${s.ablation_loss_increase.toFixed(4)}`) +
      (ov ? `, OV T_norm ${ov.all.t_norm.toFixed(3)}, Toeplitz EV ${ov.all.ev.toFixed(3)} (${Number.isFinite(ov.all.ev_z) ? `z ${ov.all.ev_z.toFixed(1)}` : 'z –: its permutation baseline has no spread, a degenerate circuit (e.g. too small a d_model or vocabulary)'})` : '') +
      (att ? `, attention to the next token ${att.mean.toFixed(3)}` : '') +
      (s.copy_suppression > 0 ? `, copy suppression ${s.copy_suppression.toFixed(3)} of L${s.layer}H${s.copy_suppression_partner}` : '')
    );
  });
}
