/**
 * The mode a run ends in, and the claims about modes (`findings --claims`, rows 3b and 5).
 *
 * At a checkpoint (data.ts row: overlap = mean Jaccard overlap of the heads' copy ranges
 * {t : OV_h[t, t] > 0}; n_copied_h = tokens whose argmax copier is h), with H ≥ 2 heads:
 *   share_h = n_copied_h / Σ_g n_copied_g
 *   split            every head's share ≥ MIN_SHARE and overlap ≤ MAX_OVERLAP
 *   overlapping      every head's share ≥ MIN_SHARE and overlap > MAX_OVERLAP
 *   one copier       some head's share < MIN_SHARE (one head copies nearly everything: the
 *                    copy-suppression mode has this shape; the Jaccard overlap alone cannot tell it
 *                    from a split, since a head that copies nothing has an empty range)
 * The two split definitions of issue #28 are the Jaccard one (overlap ≤ MAX_OVERLAP) and the
 * argmax-copier one (every head's share ≥ MIN_SHARE); `split` needs both.
 */
import type { CheckpointRow, CompactExperiment } from './data.ts';
import type { Verdict } from './verdict-words.ts';

export const MIN_SHARE = 0.2;
export const MAX_OVERLAP = 0.5;

export type Mode = 'split' | 'overlapping' | 'one copier';

export interface ModeAt {
  seed: number;
  step: number;
  overlap: number | null;
  shares: number[];
  regions: number[];
  jaccard_split: boolean;
  argmax_split: boolean;
  mode: Mode | null;
}

export function modeAt(r: CheckpointRow, seed: number): ModeAt {
  const total = r.n_copied.reduce((a, b) => a + b, 0);
  const shares = total > 0 ? r.n_copied.map((n) => n / total) : [];
  const jaccard = r.overlap !== null && r.overlap <= MAX_OVERLAP;
  const argmax = shares.length >= 2 && shares.every((s) => s >= MIN_SHARE);
  const mode: Mode | null = shares.length < 2 || r.overlap === null ? null : !argmax ? 'one copier' : jaccard ? 'split' : 'overlapping';
  return { seed, step: r.step, overlap: r.overlap, shares, regions: r.regions, jaccard_split: jaccard, argmax_split: argmax, mode };
}

/** Each seed's mode at `step` (the last checkpoint when omitted). */
export function modes(experiments: readonly CompactExperiment[], cell: string, step?: number): ModeAt[] {
  return experiments
    .filter((e) => e.cell === cell)
    .sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0))
    .flatMap((e) => {
      const r = step === undefined ? e.curve.filter((x) => x.overlap !== null).at(-1) : e.curve.find((x) => x.step === step);
      return r ? [modeAt(r, e.seed ?? 0)] : [];
    });
}

/** Row 3b: the split survives without weight decay (at the end of a long run), by both definitions. */
export function survivesVerdict(end: readonly ModeAt[]): Verdict {
  if (end.length < 2) return 'not measured';
  const j = end.filter((m) => m.jaccard_split).length;
  const a = end.filter((m) => m.argmax_split).length;
  if (j === end.length && a === end.length) return 'reproduced';
  if (j === 0 && a === 0) return 'contradicted';
  return 'inconclusive';
}

/** Row 5: ρ̄ decides the mode. Cells in order of ρ̄; the fraction of seeds in the split mode per cell. */
export function gapVerdict(cells: readonly { rho: number; modes: ModeAt[] }[]): Verdict {
  const measured = cells.filter((c) => c.modes.length >= 2);
  if (measured.length < 2) return 'not measured';
  const frac = [...measured].sort((x, y) => x.rho - y.rho).map((c) => c.modes.filter((m) => m.mode === 'split').length / c.modes.length);
  if (frac.every((f) => f === frac[0]) && (frac[0] === 0 || frac[0] === 1)) return 'not reproduced in the range tried';
  const monotone = frac.every((f, i) => i === 0 || f >= frac[i - 1]) || frac.every((f, i) => i === 0 || f <= frac[i - 1]);
  return monotone && Math.abs(frac[0] - frac.at(-1)!) === 1 ? 'reproduced' : 'inconclusive';
}

export function modesLine(ms: readonly ModeAt[]): string {
  const p = (v: number | null) => (v === null ? '–' : v.toFixed(2));
  return ms.map((m) => `s${m.seed}@${m.step}: ${m.mode ?? '–'} (overlap ${p(m.overlap)}, shares ${m.shares.map((s) => s.toFixed(2)).join('/')}, regions ${m.regions.join('/')})`).join('; ') || 'not computed yet';
}
