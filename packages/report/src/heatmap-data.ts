/**
 * The data of the "circuits developing" view: every head's QK and OV circuit (d_vocab × d_vocab,
 * SEP included) at up to `max_frames` checkpoints, in one table the heatmap spec filters by
 * panel and checkpoint.
 *
 * - Checkpoints are subsampled evenly in checkpoint index (first and last always kept): the train
 *   stage's checkpoints are dense early and in log(step), so this keeps the early development.
 * - Values are rounded to `digits` significant digits (the page stays a few MB); a value that is
 *   not finite is stored as null and left blank.
 * - Each panel's colour domain is symmetric, ±max |value| over *every* checkpoint of that head and
 *   circuit (not only the kept ones), so colours are comparable across frames and 0 is the middle.
 */
import type { MatrixRecord, Stepped } from '@sortscope/circuits';
import { headName, sig } from './format.ts';

export type HeatmapCircuit = 'QK' | 'OV';

export interface HeatmapPanel {
  /** index used in `rows[].m` */
  m: number;
  head: string;
  circuit: HeatmapCircuit;
  /** max |value| over all checkpoints: the colour domain is [−max_abs, max_abs] */
  max_abs: number;
}

export interface HeatmapData {
  panels: HeatmapPanel[];
  /** training step of each frame */
  steps: number[];
  /** checkpoints in the artifacts (before subsampling) */
  checkpoints: number;
  d_vocab: number;
  /** the SEP token id (d_vocab − 1) */
  sep: number;
  /** one row per panel × frame × matrix row: r = query token (QK) or attended token (OV), v = the row */
  rows: { m: number; i: number; r: number; v: (number | null)[] }[];
}

/** `count` indices spread evenly over 0 … n − 1, always with the first and the last. */
export function subsampleIndices(n: number, count: number): number[] {
  if (n <= 0) return [];
  const m = Math.max(1, Math.min(n, count));
  if (m === 1) return [n - 1];
  return Array.from({ length: m }, (_, k) => Math.round((k * (n - 1)) / (m - 1)));
}

const CIRCUIT_ORDER: HeatmapCircuit[] = ['QK', 'OV'];

export function heatmapData(matrices: Stepped<MatrixRecord>[], opts: { max_frames: number; digits: number }): HeatmapData | null {
  const square = matrices.filter((r) => (r.circuit === 'QK' || r.circuit === 'OV') && r.matrix.rows === r.matrix.cols);
  if (square.length === 0) return null;
  const dVocab = square[0].matrix.cols;
  const allSteps = [...new Set(square.map((r) => r.step))].sort((a, b) => a - b);
  const frames = subsampleIndices(allSteps.length, opts.max_frames).map((i) => allSteps[i]);
  const heads = [...new Map(square.map((r) => [headName(r.layer, r.head), [r.layer, r.head]])).entries()].sort((a, b) => a[1][0] - b[1][0] || a[1][1] - b[1][1]);
  const panels: HeatmapPanel[] = [];
  const rows: HeatmapData['rows'] = [];
  for (const [head, [layer, h]] of heads) {
    for (const circuit of CIRCUIT_ORDER) {
      const mine = square.filter((r) => r.layer === layer && r.head === h && r.circuit === circuit);
      if (mine.length === 0) continue;
      let maxAbs = 0;
      for (const r of mine) for (const v of r.matrix.data) if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
      const m = panels.length;
      panels.push({ m, head, circuit, max_abs: maxAbs || 1 });
      frames.forEach((step, i) => {
        const rec = mine.find((r) => r.step === step);
        if (!rec) return;
        for (let r = 0; r < dVocab; r++) {
          rows.push({ m, i, r, v: Array.from(rec.matrix.data.subarray(r * dVocab, (r + 1) * dVocab), (x) => (Number.isFinite(x) ? sig(x, opts.digits) : null)) });
        }
      });
    }
  }
  return { panels, steps: frames, checkpoints: allSteps.length, d_vocab: dVocab, sep: dVocab - 1, rows };
}
