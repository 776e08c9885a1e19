import type { MatrixRecord, Stepped } from '@sortscope/circuits';
import { matrix } from '@sortscope/circuits';
import { describe, expect, it } from 'vitest';
import { CKPT_PARAM, heatmapSpec, tokenTicks } from './chart-heatmap.ts';
import { heatmapData } from './heatmap-data.ts';
import { renderSvg, toVega } from './render.ts';

type Any = Record<string, any>;

/** Two heads' QK and OV over 3 checkpoints, d_vocab 17: a band whose sign flips with the step. */
function data() {
  const n = 17;
  const recs: Stepped<MatrixRecord>[] = [0, 10, 100].flatMap((step, s) =>
    [0, 1].flatMap((head) =>
      (['QK', 'OV'] as const).map((circuit) => ({
        step,
        layer: 0,
        head,
        circuit,
        convention: 'raw-normalised' as const,
        matrix: matrix(n, n, Float64Array.from({ length: n * n }, (_, k) => (s - 1) * (head + 1) * Math.exp(-(((k % n) - Math.floor(k / n)) ** 2)))),
      })),
    ),
  );
  return heatmapData(recs, { max_frames: 60, digits: 3 })!;
}

describe('heatmapSpec', () => {
  it('binds the checkpoint param to a range slider over the frames, starting at the last', () => {
    const spec = heatmapSpec(data(), { title: 'exp' }) as Any;
    const p = spec.params.find((x: Any) => x.name === CKPT_PARAM);
    expect(p).toMatchObject({ value: 2, bind: { input: 'range', min: 0, max: 2, step: 1 } });
    expect(spec.params.find((x: Any) => x.name === 'ckpt_steps').value).toEqual([0, 10, 100]);
    expect(heatmapSpec(data(), { title: 'exp', interactive: false, frame: 0 }).params).toEqual([{ name: CKPT_PARAM, value: 0 }, { name: 'ckpt_steps', value: [0, 10, 100] }]);
  });

  it('colours each panel on a diverging scale centred at 0, symmetric around its max |value| over training', () => {
    const d = data();
    const spec = heatmapSpec(d, { title: 'exp' }) as Any;
    expect(spec.concat).toHaveLength(4);
    spec.concat.forEach((panel: Any, m: number) => {
      const scale = panel.encoding.color.scale;
      expect(scale.domainMid).toBe(0);
      expect(scale.domain).toEqual([-d.panels[m].max_abs, d.panels[m].max_abs]);
      expect(scale.scheme).toBe('redblue');
      expect(scale.reverse).toBe(true); // red = positive
      expect(panel.transform[0].filter).toBe(`datum.m == ${m} && datum.i == ${CKPT_PARAM}`);
    });
    expect(d.panels.map((p) => p.max_abs)).toEqual([1, 1, 2, 2]);
    expect(spec.resolve.scale.color).toBe('independent');
  });

  it('has tooltips naming the tokens in the page, and none in static renders', () => {
    const page = heatmapSpec(data(), { title: 'exp' }) as Any;
    expect(page.concat[0].encoding.tooltip.map((t: Any) => t.title)).toEqual(['query token', 'key token', 'QK score']);
    expect(page.concat[1].encoding.tooltip.map((t: Any) => t.title)).toEqual(['attended token', 'output token', 'OV logit']);
    expect(page.concat[0].transform.at(-1)).toEqual({ calculate: "datum.k == 16 ? 'SEP' : '' + datum.k", as: 'col_token' });
    const still = heatmapSpec(data(), { title: 'exp', interactive: false }) as Any;
    expect(still.concat.every((p: Any) => p.encoding.tooltip === undefined)).toBe(true);
  });

  it('labels tokens by id with SEP for the last, and keeps only the chosen panels', () => {
    expect(tokenTicks(51)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 51]);
    expect(tokenTicks(16)).toEqual([0, 5, 10, 16]);
    const spec = heatmapSpec(data(), { title: 'exp', panels: [3] }) as Any;
    expect(spec.concat).toHaveLength(1);
    expect(spec.concat[0].title.text).toBe('L0H1 OV (logit change)');
    expect(spec.concat[0].encoding.x.axis.labelExpr).toBe("datum.value == 16 ? 'SEP' : datum.label");
    expect(new Set(spec.data.values.map((r: Any) => r.m))).toEqual(new Set([3]));
  });

  it('renders (no Vega-Lite warning), shows the step in the title, and a new checkpoint changes the picture', async () => {
    const d = data();
    toVega(heatmapSpec(d, { title: "it's" })); // a quote in the title must not break the title expression
    const svgLast = await renderSvg(heatmapSpec(d, { title: 'exp', interactive: false }));
    const svgFirst = await renderSvg(heatmapSpec(d, { title: 'exp', interactive: false, frame: 0 }));
    expect(svgLast).toContain('exp: step 100');
    expect(svgFirst).toContain('exp: step 0');
    expect(svgLast).toContain('>SEP<');
    const cells = (svg: string) => svg.match(/<path d="M[^"]*h[^"]*" fill="rgb\([^)]*\)"/g) ?? [];
    expect(cells(svgLast)).toHaveLength(4 * 17 * 17);
    expect(cells(svgFirst)).toHaveLength(4 * 17 * 17);
    expect(cells(svgFirst)).not.toEqual(cells(svgLast));
    // frame 1 is all zeros: every cell has the middle colour of the scale, a near-white
    const mid = await renderSvg(heatmapSpec(d, { title: 'exp', interactive: false, frame: 1 }));
    const colours = new Set(cells(mid).map((c) => c.replace(/.*fill="rgb\((.*)\)"/, '$1')));
    expect(colours.size).toBe(1);
    for (const channel of [...colours][0].split(', ').map(Number)) expect(channel).toBeGreaterThanOrEqual(235);
  });
});
