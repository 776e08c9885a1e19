/**
 * Per-cell summaries across seeds, from compact results only (findings-data.ts): what the claims
 * table of docs/findings.md cites. A cell is an experiment without its seed; every number is
 * reported as mean ± standard deviation over the cell's seeds (n given).
 *
 * Stage markers per run (steps are training steps at checkpoints):
 *   t_acc99      first checkpoint with clean validation token accuracy ≥ 0.99 (initial learning done)
 *   t_overlap    last checkpoint at which the heads' copy ranges still overlap strongly
 *                (overlap ≥ OVERLAP_HIGH) — the end of the head-overlap stage
 *   t_split      first checkpoint from which the overlap stays within SPLIT_MARGIN of its final
 *                value — specialisation done
 * LLC per run (target `all`, estimates with no flagged chain only; checkpoints that are not
 * minima — the chains' loss kept falling, flag `negative` — are left out):
 *   llc_overlap  mean λ̂ over the estimates in [t_acc99, t_overlap]
 *   llc_final    λ̂ at the last estimate;  llc_change = llc_final − llc_overlap
 */
import { readable } from './changes.ts';
import type { CheckpointRow, CompactExperiment } from './data.ts';

export const OVERLAP_HIGH = 0.8;
export const SPLIT_MARGIN = 0.05;

export interface RunMarkers {
  t_acc99: number | null;
  t_overlap: number | null;
  t_split: number | null;
  overlap_final: number | null;
  regions_final: number[];
  llc_overlap: number | null;
  llc_final: number | null;
  llc_change: number | null;
  /** λ̂ of each head-restricted target at the last estimate */
  head_llc_final: Record<string, number>;
  val_loss: number | null;
  /** essential dynamics: the turning points of PC1, PC2 and PC3 (steps) */
  ed_turns: number[][];
  ed_explained: number[];
  /** entropy and confidence at the end: clean, and the change when head h is mean-ablated */
  entropy: number | null;
  confidence: number | null;
  d_entropy: number[];
  d_confidence: number[];
}


export function runMarkers(e: CompactExperiment): RunMarkers {
  const c = e.curve;
  const iAcc = c.findIndex((r) => r.val_token_acc !== null && r.val_token_acc >= 0.99);
  const withOverlap = c.filter((r) => r.overlap !== null);
  const final = withOverlap.at(-1);
  let tOverlap: number | null = null;
  let tSplit: number | null = null;
  if (final) {
    const high = withOverlap.filter((r) => r.overlap! >= OVERLAP_HIGH);
    tOverlap = high.at(-1)?.step ?? null;
    let i = withOverlap.length - 1;
    while (i > 0 && Math.abs(withOverlap[i - 1].overlap! - final.overlap!) <= SPLIT_MARGIN) i--;
    tSplit = withOverlap[i].step;
  }
  const llcRows = c.filter((r) => readable(r) !== null);
  const from = iAcc >= 0 ? c[iAcc].step : null;
  const window = from !== null && tOverlap !== null ? llcRows.filter((r) => r.step >= from && r.step <= tOverlap!) : [];
  const llcOverlap = window.length ? window.reduce((a, r) => a + readable(r)!, 0) / window.length : null;
  const lastEst = c.filter((r) => Object.keys(r.llc).length > 0).at(-1);
  const llcFinal = lastEst ? readable(lastEst) : null;
  const heads = Object.fromEntries(Object.entries(lastEst?.llc ?? {}).filter(([t]) => t !== 'all' && readable(lastEst, t) !== null).map(([t, p]) => [t, p.mean]));
  return {
    t_acc99: from,
    t_overlap: tOverlap,
    t_split: tSplit,
    overlap_final: final?.overlap ?? null,
    regions_final: final?.regions ?? [],
    llc_overlap: llcOverlap,
    llc_final: llcFinal,
    llc_change: llcOverlap !== null && llcFinal !== null ? llcFinal - llcOverlap : null,
    head_llc_final: heads,
    val_loss: e.facts.val_loss,
    ed_turns: e.behaviour?.ed.turning.slice(0, 3) ?? [],
    ed_explained: e.behaviour?.ed.explained ?? [],
    entropy: e.behaviour?.confidence.clean.entropy ?? null,
    confidence: e.behaviour?.confidence.clean.confidence ?? null,
    d_entropy: e.behaviour?.confidence.heads.map((h) => h.entropy - e.behaviour!.confidence.clean.entropy) ?? [],
    d_confidence: e.behaviour?.confidence.heads.map((h) => h.confidence - e.behaviour!.confidence.clean.confidence) ?? [],
  };
}

export interface Spread {
  mean: number;
  sd: number;
  n: number;
}

export function spread(values: (number | null)[]): Spread | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : NaN;
  return { mean, sd, n: v.length };
}

export interface CellSummary {
  cell: string;
  seeds: number[];
  val_loss: Spread | null;
  t_acc99: Spread | null;
  t_overlap: Spread | null;
  t_split: Spread | null;
  overlap_final: Spread | null;
  regions_final: Spread | null;
  llc_overlap: Spread | null;
  llc_final: Spread | null;
  llc_change: Spread | null;
  head_llc_final: Record<string, Spread | null>;
  ed_pc12_explained: Spread | null;
  /** per seed: PC1, PC2 and PC3 turning points, e.g. "s1: – / 125 / 419, 1100" */
  ed_turns: string[];
  entropy: Spread | null;
  confidence: Spread | null;
  /** per head (L0Hh): change of entropy / confidence when that head is mean-ablated */
  d_entropy: Record<string, Spread | null>;
  d_confidence: Record<string, Spread | null>;
}

export function cellSummaries(experiments: readonly CompactExperiment[]): CellSummary[] {
  const cells = [...new Set(experiments.map((e) => e.cell))];
  return cells.map((cell) => {
    const runs = experiments.filter((e) => e.cell === cell);
    const m = runs.map(runMarkers);
    const heads = [...new Set(m.flatMap((x) => Object.keys(x.head_llc_final)))];
    return {
      cell,
      seeds: runs.map((e) => e.seed ?? -1),
      val_loss: spread(m.map((x) => x.val_loss)),
      t_acc99: spread(m.map((x) => x.t_acc99)),
      t_overlap: spread(m.map((x) => x.t_overlap)),
      t_split: spread(m.map((x) => x.t_split)),
      overlap_final: spread(m.map((x) => x.overlap_final)),
      regions_final: spread(m.map((x) => (x.regions_final.length ? x.regions_final.reduce((a, b) => a + b, 0) / x.regions_final.length : null))),
      llc_overlap: spread(m.map((x) => x.llc_overlap)),
      llc_final: spread(m.map((x) => x.llc_final)),
      llc_change: spread(m.map((x) => x.llc_change)),
      head_llc_final: Object.fromEntries(heads.map((h) => [h, spread(m.map((x) => x.head_llc_final[h] ?? null))])),
      ed_pc12_explained: spread(m.map((x) => (x.ed_explained.length >= 2 ? x.ed_explained[0] + x.ed_explained[1] : null))),
      ed_turns: m.map((x, i) => `s${runs[i].seed ?? '?'}: ${x.ed_turns.map((t) => t.join(', ') || '–').join(' / ')}`),
      entropy: spread(m.map((x) => x.entropy)),
      confidence: spread(m.map((x) => x.confidence)),
      d_entropy: perHead(m.map((x) => x.d_entropy)),
      d_confidence: perHead(m.map((x) => x.d_confidence)),
    };
  });
}

function perHead(values: number[][]): Record<string, Spread | null> {
  const H = Math.max(0, ...values.map((v) => v.length));
  return Object.fromEntries(Array.from({ length: H }, (_, h) => [`L0H${h}`, spread(values.map((v) => v[h] ?? null))]));
}

/** mean ± sd; "(n k)" when only k of the cell's `of` seeds have a value (k = 1: no sd) */
export const fmt = (s: Spread | null, digits = 3, of = 0): string => {
  if (!s) return '–';
  const p = (v: number) => Number(v.toPrecision(digits)).toString();
  if (!Number.isFinite(s.sd)) return `${p(s.mean)} (n 1)`;
  return s.n < of ? `${p(s.mean)} ± ${p(s.sd)} (n ${s.n})` : `${p(s.mean)} ± ${p(s.sd)}`;
};

export function cellsMarkdown(cells: readonly CellSummary[]): string {
  const out = [
    '| cell | seeds | val loss | t_acc99 | t_overlap | t_split | final overlap | regions/head | LLC, overlap stage | LLC final | LLC change | head LLC final |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const c of cells) {
    const f = (s: Spread | null, digits = 3) => fmt(s, digits, c.seeds.length);
    const heads = Object.entries(c.head_llc_final).map(([h, s]) => `${h} ${f(s)}`).join('; ') || '–';
    out.push(
      `| ${c.cell} | ${c.seeds.join(',')} | ${f(c.val_loss)} | ${f(c.t_acc99)} | ${f(c.t_overlap)} | ${f(c.t_split)} | ${f(c.overlap_final, 2)} | ${f(c.regions_final, 2)} | ${f(c.llc_overlap)} | ${f(c.llc_final)} | ${f(c.llc_change)} | ${heads} |`,
    );
  }
  return `${out.join('\n')}\n`;
}

/** The behavioural view per cell: essential dynamics and confidence under ablation. */
export function behaviourMarkdown(cells: readonly CellSummary[]): string {
  const out = [
    '| cell | PC1+PC2 explained | PC1 / PC2 / PC3 turning points, per seed | entropy | confidence | Δentropy, head ablated | Δconfidence, head ablated |',
    '|---|---:|---|---:|---:|---|---|',
  ];
  for (const c of cells) {
    const f = (s: Spread | null, digits = 3) => fmt(s, digits, c.seeds.length);
    const heads = (r: Record<string, Spread | null>) => Object.entries(r).map(([h, s]) => `${h} ${f(s, 2)}`).join('; ') || '–';
    out.push(`| ${c.cell} | ${f(c.ed_pc12_explained)} | ${c.ed_turns.join('; ')} | ${f(c.entropy)} | ${f(c.confidence)} | ${heads(c.d_entropy)} | ${heads(c.d_confidence)} |`);
  }
  return `${out.join('\n')}\n`;
}

export interface StepSummary {
  cell: string;
  step: number;
  val_loss: Spread | null;
  overlap: Spread | null;
  /** readable λ̂ per target (changes.ts readable: flagged or disagreeing estimates left out; n tells how many seeds remain) */
  llc: Record<string, Spread | null>;
  /** seeds whose estimate (target all) at this step cannot be read: a chain flagged (e.g. not a minimum), λ̂ ≤ 0, or the chains disagree */
  flagged: number;
  /** seeds of the cell with a checkpoint at this step */
  seeds: number;
}

/**
 * The LLC curve per cell: at every step where some seed has an estimate, mean ± sd over seeds of
 * the readable λ̂ of each target, beside the heads' overlap and the loss at that step.
 */
export function llcSteps(experiments: readonly CompactExperiment[]): StepSummary[] {
  const out: StepSummary[] = [];
  for (const cell of [...new Set(experiments.map((e) => e.cell))]) {
    const runs = experiments.filter((e) => e.cell === cell);
    const steps = [...new Set(runs.flatMap((e) => e.curve.filter((r) => Object.keys(r.llc).length).map((r) => r.step)))].sort((a, b) => a - b);
    for (const step of steps) {
      const rows = runs.map((e) => e.curve.find((r) => r.step === step)).filter((r): r is CheckpointRow => r !== undefined);
      const targets = [...new Set(rows.flatMap((r) => Object.keys(r.llc)))];
      out.push({
        cell,
        step,
        val_loss: spread(rows.map((r) => r.val_loss)),
        overlap: spread(rows.map((r) => r.overlap)),
        llc: Object.fromEntries(targets.map((t) => [t, spread(rows.map((r) => readable(r, t)))])),
        flagged: rows.filter((r) => r.llc.all && readable(r) === null).length,
        seeds: rows.length,
      });
    }
  }
  return out;
}

export function llcStepsMarkdown(rows: readonly StepSummary[]): string {
  const out = ['| cell | step | val loss | overlap | LLC (all) | per head | seeds not read |', '|---|---:|---:|---:|---:|---|---:|'];
  for (const r of rows) {
    const f = (s: Spread | null, digits = 3) => fmt(s, digits, r.seeds);
    const heads = Object.entries(r.llc).filter(([t]) => t !== 'all').map(([t, s]) => `${t} ${f(s)}`).join('; ') || '–';
    out.push(`| ${r.cell} | ${r.step} | ${f(r.val_loss)} | ${f(r.overlap, 2)} | ${f(r.llc.all ?? null)} | ${heads} | ${r.flagged} |`);
  }
  return `${out.join('\n')}\n`;
}
