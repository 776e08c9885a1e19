/**
 * λ̂ drawn only where it can be read. An estimate is readable when no chain carries a blocking
 * flag, λ̂ > 0, chains that agree and had relaxed (llc readable.ts, via model.ts readableEstimate). Readable estimates
 * are the data: the band (mean ± std over chains), the line and the points, and the y axis spans
 * them alone. Every other estimate is a ▼ at the bottom edge of the axis, at its step and in its
 * series' colour, with its λ̂ and the reason in the tooltip: a checkpoint that is not a minimum
 * (λ̂ of −10⁵) no longer flattens the readable ones onto the zero line.
 */
import type { VlSpec } from './chart-common.ts';
import { legendToggle, pickedOpacity, zoomParam } from './chart-interact.ts';

export interface LlcPoint {
  step: number;
  mean: number;
  lo: number;
  hi: number;
  readable: boolean;
  reason: string;
}

export const UNREADABLE_NOTE = '▼ on the bottom edge: a chain flagged, λ̂ ≤ 0, chains that disagree or had not relaxed; hover for why';

/** The y range of the readable estimates (0 included, 10% headroom), or null when none is readable. */
export function readableDomain(rows: readonly LlcPoint[]): [number, number] | null {
  const r = rows.filter((x) => x.readable);
  if (r.length === 0) return null;
  const lo = Math.min(0, ...r.map((x) => x.lo));
  const hi = Math.max(...r.map((x) => x.hi));
  return [lo, hi > 0 ? 1.1 * hi : 1];
}

export interface LlcLayerOptions {
  x: VlSpec;
  color: VlSpec;
  /** the series field (target or experiment): the line's detail, and the legend toggle's field */
  series: string;
  /** tooltip fields of a readable point (an unreadable one shows series, step, λ̂ and the reason) */
  tooltip: VlSpec[];
  /** transforms every layer applies first (the run filter) */
  transform?: VlSpec[];
  bandOpacity?: number;
}

/**
 * The rows with `edge` (the y of the ▼ marks), and the layers that draw them. The line layer holds
 * the zoom and the legend toggle on the series (chart-interact.ts); series not picked fade.
 */
export function llcLayers<T extends LlcPoint>(rows: readonly T[], o: LlcLayerOptions): { values: (T & { edge: number })[]; domain: [number, number]; layers: VlSpec[] } {
  const domain = readableDomain(rows) ?? [0, 1];
  const values = rows.map((r) => ({ ...r, edge: domain[0] }));
  const yTitle = 'LLC λ̂';
  const y = (field: string) => ({ field, type: 'quantitative', title: yTitle, scale: { domain } });
  const pre = o.transform ?? [];
  const readable = [...pre, { filter: 'datum.readable' }];
  const fade = (on: number) => ({ opacity: pickedOpacity(on, on * 0.15) });
  const band = o.bandOpacity ?? 0.2;
  return {
    values,
    domain,
    layers: [
      { transform: readable, mark: { type: 'area', clip: true }, encoding: { x: o.x, y: y('lo'), y2: { field: 'hi' }, color: o.color, detail: { field: o.series }, ...fade(band) } },
      { transform: readable, params: [zoomParam(), legendToggle(o.series)], mark: { type: 'line', clip: true }, encoding: { x: o.x, y: y('mean'), color: o.color, detail: { field: o.series }, ...fade(1) } },
      { transform: readable, mark: { type: 'point', filled: true, opacity: 1, clip: true }, encoding: { x: o.x, y: y('mean'), color: o.color, tooltip: o.tooltip, ...fade(1) } },
      {
        transform: [...pre, { filter: '!datum.readable' }],
        mark: { type: 'point', shape: 'triangle-down', filled: true, size: 70, clip: false },
        encoding: {
          x: o.x,
          y: { field: 'edge', type: 'quantitative', title: yTitle, scale: { domain } },
          color: o.color,
          ...fade(0.9),
          tooltip: [
            { field: o.series, type: 'nominal' },
            { field: 'step', type: 'quantitative' },
            { field: 'mean', type: 'quantitative', title: 'λ̂ (not readable)', format: '.4~g' },
            { field: 'reason', type: 'nominal', title: 'why not readable' },
          ],
        },
      },
    ],
  };
}
