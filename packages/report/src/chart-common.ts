/**
 * What every chart shares: the Vega-Lite spec type, the time axis, the stage-boundary rules and
 * the look. Specs are plain JSON objects (declarative; the page embeds them as they are, and
 * render.ts turns the same objects into SVG, PNG and GIF).
 *
 * Time axis: training steps on a symlog scale (constant 1, i.e. ln(1 + step)): logarithmic like
 * the developmental-interpretability plots, with step 0 — the initialisation — still on the
 * axis. Ticks at 0, 1, 3, 10, 30, … up to the last step.
 */
import type { StageBoundary } from './changepoints.ts';

/** A Vega-Lite spec (top level or a view in it), as plain JSON. */
export type VlSpec = Record<string, unknown>;

export const VL_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const WIDTH = 440;
export const HEIGHT = 220;
export const STEP_TITLE = 'training step (log scale, 0 included)';

/** Tick values of the symlog step axis: 0, 1, 3, 10, 30, … ≤ maxStep (at least 0 and 1). */
export function stepTicks(maxStep: number): number[] {
  const out = [0, 1];
  for (let p = 1; ; p *= 10) {
    if (3 * p <= maxStep) out.push(3 * p);
    if (10 * p <= maxStep) out.push(10 * p);
    else break;
  }
  return out;
}

/** The x encoding of a time axis: `field` in training steps on the symlog scale. */
export function timeX(field: string, maxStep: number, title: string | null = STEP_TITLE): VlSpec {
  return {
    field,
    type: 'quantitative',
    scale: { type: 'symlog', constant: 1, domain: [0, Math.max(1, maxStep)], nice: false },
    // labelExpr, not format '~s': Vega formats SI ticks with the domain's prefix (1 → "0k")
    axis: { values: stepTicks(maxStep), labelExpr: "datum.value >= 1000 ? format(datum.value / 1000, '~g') + 'k' : format(datum.value, 'd')", title, grid: true },
    title,
  };
}

/** A layer of dashed vertical rules at the stage boundaries (empty data when there are none). */
export function stageRules(boundaries: StageBoundary[] | null | undefined, maxStep: number): VlSpec {
  return {
    data: { values: (boundaries ?? []).map((b) => ({ step_mid: b.step_mid, between: `steps ${b.step_before}–${b.step_after}` })) },
    mark: { type: 'rule', strokeDash: [5, 4], color: '#555', strokeWidth: 1.5 },
    encoding: {
      x: timeX('step_mid', maxStep),
      tooltip: [{ field: 'between', type: 'nominal', title: 'stage boundary between' }],
    },
  };
}

/** Shared look: sizes, fonts, white background (the PNGs and GIFs are not transparent). */
export const CONFIG: VlSpec = {
  background: 'white',
  font: 'DejaVu Sans, Verdana, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 220, symbolOpacity: 1 },
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#444', anchor: 'start' },
  line: { strokeWidth: 1.8 },
  point: { size: 28 },
};

/** `text` broken at spaces into lines of at most `width` characters (longer words stay whole). */
export function wrap(text: string, width = 88): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A top-level spec: schema, title (subtitle lines wrapped to the chart's width) and the shared config. */
export function topLevel(title: string, subtitle: string[] | null, body: VlSpec): VlSpec {
  const lines = (subtitle ?? []).flatMap((l) => wrap(l));
  return { $schema: VL_SCHEMA, title: lines.length ? { text: title, subtitle: lines } : { text: title }, config: CONFIG, ...body };
}

/** Tick values of a log axis over `values`: 1 and 3 times the powers of 10 that cover them. */
export function logTicks(values: number[]): number[] {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length === 0) return [1];
  const lo = Math.floor(Math.log10(Math.min(...pos)));
  const hi = Math.ceil(Math.log10(Math.max(...pos)));
  const out: number[] = [];
  for (let p = lo; p <= hi; p++) {
    out.push(Number((10 ** p).toPrecision(1)));
    if (p < hi) out.push(Number((3 * 10 ** p).toPrecision(1)));
  }
  return out;
}

/** The largest step among rows (0 for none). */
export function maxStepOf(...tables: { step: number }[][]): number {
  let m = 0;
  for (const t of tables) for (const r of t) if (r.step > m) m = r.step;
  return m;
}
