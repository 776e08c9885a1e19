import { describe, expect, it } from 'vitest';
import { heatmapSpec } from './chart-heatmap.ts';
import type { HeatmapData } from './heatmap-data.ts';
import { HEATMAP_META, NULL_CODE, packHeatmapRows, packPageSpec, unpackHeatmapRows, type PackedHeatmap } from './heatmap-pack.ts';
import { PAGE_JS } from './page-assets.ts';

/** Two panels × two frames of a d_vocab 5 heatmap with values over 6 decades, a NaN and a null. */
function data(): HeatmapData {
  const d = 5;
  const rows: HeatmapData['rows'] = [];
  for (const m of [0, 1])
    for (const i of [0, 1])
      for (let r = 0; r < d; r++) rows.push({ m, i, r, v: Array.from({ length: d }, (_, c) => (m + 1) * Math.sin(1 + r * d + c + 7 * i) * 10 ** ((c % 3) - 2)) });
  rows[3].v[2] = null;
  rows[7].v[4] = Number.NaN;
  const max = (m: number) => Math.max(...rows.filter((r) => r.m === m).flatMap((r) => r.v.filter((x): x is number => x !== null && Number.isFinite(x)).map(Math.abs)));
  return { panels: [0, 1].map((m) => ({ m, head: `L0H${m}`, circuit: 'QK' as const, max_abs: max(m) })), steps: [0, 10], checkpoints: 2, d_vocab: d, sep: d - 1, rows };
}

/** The page script's own unpacker, taken out of PAGE_JS and run here (Node has atob). */
function pageUnpack(spec: Record<string, unknown>): void {
  const src = /function unpackHeatmap\(spec\) \{[\s\S]*?\n {2}\}\n/.exec(PAGE_JS)?.[0];
  if (!src) throw new Error('unpackHeatmap not found in PAGE_JS');
  new Function('spec', `${src}; unpackHeatmap(spec);`)(spec);
}

describe('heatmap packing', () => {
  it('round-trips every value to within max_abs / 65,534 (plus 4-digit rounding), nulls as nulls', () => {
    const h = data();
    const maxAbs = Object.fromEntries(h.panels.map((p) => [p.m, p.max_abs]));
    const back = unpackHeatmapRows(packHeatmapRows(h.rows, h.d_vocab, maxAbs));
    expect(back.map(({ m, i, r }) => [m, i, r])).toEqual(h.rows.map(({ m, i, r }) => [m, i, r]));
    h.rows.forEach((row, k) =>
      row.v.forEach((v, c) => {
        const got = back[k].v[c];
        if (v === null || !Number.isFinite(v)) return expect(got).toBeNull();
        expect(got).not.toBeNull();
        const tol = maxAbs[row.m] / 65534 + Math.abs(v) * 5e-4 + 1e-15;
        expect(Math.abs(got! - v)).toBeLessThanOrEqual(tol);
      }),
    );
    // the largest value of a panel is exact to 4 digits, the sign of every code kept
    const big = h.rows.flatMap((r) => r.v).findIndex((x) => x !== null && Math.abs(x) === maxAbs[0]);
    expect(back.flatMap((r) => r.v)[big]).toBe(Number(h.rows.flatMap((r) => r.v)[big]!.toPrecision(4)));
  });

  it('is a third of the JSON text or less', () => {
    const h = data();
    const spec = heatmapSpec(h, { title: 'x' });
    const packed = packPageSpec(spec);
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(spec).length / 1.5);
    expect((packed.data as { values: unknown[] }).values).toEqual([]);
  });

  it('the page script rebuilds exactly the rows the TypeScript unpacker gives', () => {
    const h = data();
    const packed = JSON.parse(JSON.stringify(packPageSpec(heatmapSpec(h, { title: 'x' }))));
    const p = packed.usermeta[HEATMAP_META].packed as PackedHeatmap;
    const expected = unpackHeatmapRows(p);
    pageUnpack(packed);
    expect(packed.data.values).toEqual(expected);
    expect(packed.usermeta[HEATMAP_META].packed).toBeUndefined();
    // a spec without packed rows is left alone
    const plain = { data: { values: [{ a: 1 }] } };
    pageUnpack(plain);
    expect(plain).toEqual({ data: { values: [{ a: 1 }] } });
  });

  it('leaves specs that are not heatmaps as they are, and refuses rows out of block order', () => {
    const other = { data: { values: [{ step: 1 }] } };
    expect(packPageSpec(other)).toBe(other);
    const h = data();
    const maxAbs = { 0: 1, 1: 1 };
    const swapped = [h.rows[1], h.rows[0], ...h.rows.slice(2)];
    expect(() => packHeatmapRows(swapped, h.d_vocab, maxAbs)).toThrow(/row 0: expected m 0, frame 0, row 0, got m 0, frame 0, row 1/);
    expect(() => packHeatmapRows(h.rows.slice(1), h.d_vocab, maxAbs)).toThrow(/not a multiple of d_vocab 5/);
    expect(() => packHeatmapRows(h.rows, h.d_vocab, { 0: 1 })).toThrow(/panel 1: max_abs undefined/);
    // values beyond max_abs saturate rather than wrap
    const one = [{ m: 0, i: 0, r: 0, v: [2, -2] }, { m: 0, i: 0, r: 1, v: [0, null] }];
    const p = packHeatmapRows(one, 2, { 0: 1 });
    expect(unpackHeatmapRows(p).map((r) => r.v)).toEqual([[1, -1], [0, null]]);
    const codes = Buffer.from(p.codes, 'base64');
    expect([0, 1, 2, 3].map((k) => codes.readInt16LE(2 * k))).toEqual([32767, -32767, 0, NULL_CODE]);
  });
});
