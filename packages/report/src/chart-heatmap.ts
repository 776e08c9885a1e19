/**
 * The "circuits developing" view: each head's QK and OV circuit as a heatmap over tokens, one
 * checkpoint at a time. The checkpoint is the Vega-Lite param `ckpt` (a frame index), bound to a
 * range slider; the page's Play button steps it on a timer, and render.ts sets it per GIF frame.
 *
 * Colour: the diverging 'redblue' scheme reversed (red positive, blue negative), domain
 * [−max |value|, +max |value|] of that head and circuit over all of training with domainMid 0:
 * white is exactly 0 and a colour means the same value in every frame.
 * Rows are the query token (QK) or the attended token (OV), columns the key token (QK) or the
 * output logit (OV), as in docs/circuits.md; SEP is the last row and column, labelled "SEP".
 */
import { CONFIG, VL_SCHEMA, type VlSpec, wrap } from './chart-common.ts';
import type { HeatmapData, HeatmapPanel } from './heatmap-data.ts';
import { HEATMAP_META } from './heatmap-pack.ts';

export const CKPT_PARAM = 'ckpt';
export const HEATMAP_SIZE = 312;

const AXES = {
  QK: { row: 'query token', col: 'key token', value: 'QK score', what: 'QK (attention score)' },
  OV: { row: 'attended token', col: 'output token', value: 'OV logit', what: 'OV (logit change)' },
} as const;

/** Token tick values: multiples of 5 not crowding SEP, then SEP. */
export function tokenTicks(sep: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < sep; t += 5) if (sep - t >= 3) out.push(t);
  out.push(sep);
  return out;
}

function tokenAxis(sep: number, title: string, labelAngle = 0): VlSpec {
  return { title, values: tokenTicks(sep), labelExpr: `datum.value == ${sep} ? 'SEP' : datum.label`, labelAngle, labelFontSize: 9, ticks: true, domain: false };
}

function panelSpec(p: HeatmapPanel, sep: number, interactive: boolean): VlSpec {
  const a = AXES[p.circuit];
  const label = (f: string) => `datum.${f} == ${sep} ? 'SEP' : '' + datum.${f}`;
  const transform: VlSpec[] = [
    { filter: `datum.m == ${p.m} && datum.i == ${CKPT_PARAM}` },
    { calculate: 'sequence(0, length(datum.v))', as: 'cols' },
    { flatten: ['v', 'cols'], as: ['value', 'k'] },
  ];
  const encoding: VlSpec = {
    x: { field: 'k', type: 'ordinal', axis: tokenAxis(sep, a.col) },
    y: { field: 'r', type: 'ordinal', axis: tokenAxis(sep, a.row) },
    color: {
      field: 'value',
      type: 'quantitative',
      title: a.value,
      scale: { scheme: 'redblue', reverse: true, domain: [-p.max_abs, p.max_abs], domainMid: 0, clamp: true },
      legend: { format: '.3~g', gradientLength: HEATMAP_SIZE - 40 },
    },
  };
  if (interactive) {
    transform.push({ calculate: label('r'), as: 'row_token' }, { calculate: label('k'), as: 'col_token' });
    encoding.tooltip = [
      { field: 'row_token', type: 'nominal', title: a.row },
      { field: 'col_token', type: 'nominal', title: a.col },
      { field: 'value', type: 'quantitative', title: a.value, format: '.3~g' },
    ];
  }
  return { title: { text: `${p.head} ${a.what}`, fontSize: 12 }, width: HEATMAP_SIZE, height: HEATMAP_SIZE, transform, mark: { type: 'rect', aria: false }, encoding };
}

export interface HeatmapSpecOptions {
  /** title prefix, e.g. the experiment's name */
  title: string;
  subtitle?: string[];
  /** panel indices to include (default: all, two per row: QK and OV of each head) */
  panels?: number[];
  /** the frame shown first (default: the last) */
  frame?: number;
  /** the page's version: the slider bound and tooltips (default); false for static renders and GIFs */
  interactive?: boolean;
}

export function heatmapSpec(data: HeatmapData, opts: HeatmapSpecOptions): VlSpec {
  const chosen = opts.panels ? data.panels.filter((p) => opts.panels!.includes(p.m)) : data.panels;
  const keep = new Set(chosen.map((p) => p.m));
  const last = data.steps.length - 1;
  const param: VlSpec = { name: CKPT_PARAM, value: opts.frame ?? last };
  const interactive = opts.interactive ?? true;
  if (interactive) param.bind = { input: 'range', min: 0, max: last, step: 1, name: 'checkpoint ' };
  const title = `${opts.title.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}: step `;
  return {
    $schema: VL_SCHEMA,
    title: { text: { expr: `'${title}' + ckpt_steps[${CKPT_PARAM}]` }, ...(opts.subtitle?.length ? { subtitle: opts.subtitle.flatMap((l) => wrap(l)) } : {}) },
    params: [param, { name: 'ckpt_steps', value: data.steps }],
    data: { values: data.rows.filter((r) => keep.has(r.m)) },
    // what heatmap-pack.ts needs to pack these rows for the page
    usermeta: { [HEATMAP_META]: { d_vocab: data.d_vocab, max_abs: Object.fromEntries(chosen.map((p) => [p.m, p.max_abs])) } },
    concat: chosen.map((p) => panelSpec(p, data.sep, interactive)),
    columns: 2,
    spacing: 24,
    resolve: { scale: { color: 'independent', x: 'independent', y: 'independent' }, legend: { color: 'independent' } },
    config: CONFIG,
  };
}
