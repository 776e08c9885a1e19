import { describe, expect, it } from 'vitest';
import { timeX, topLevel } from './chart-common.ts';
import { pngInfo } from './image-info.ts';
import { normaliseSvgIds, renderSvg, svgToPng, svgToRgba, toVega } from './render.ts';

const BARS = topLevel('Bars', ['a subtitle'], { width: 200, height: 100, data: { values: [{ a: 'x', b: 1 }, { a: 'y', b: 3 }] }, mark: 'bar', encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } } });

describe('render', () => {
  it('labels the symlog step axis 0, 1, 3, 10, …, 1k, 3k (not with the domain\'s SI prefix: "0k")', async () => {
    const spec = topLevel('Steps', [], { data: { values: [{ s: 0, y: 1 }, { s: 7325, y: 2 }] }, mark: 'line', encoding: { x: timeX('s', 7325, null), y: { field: 'y', type: 'quantitative', axis: null } } });
    const labels = [...(await renderSvg(spec)).matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).filter((t) => t !== 'Steps');
    expect(labels).toEqual(['0', '1', '3', '10', '30', '100', '300', '1k', '3k']);
  });

  it('turns a spec into SVG and PNG (scaled), the same bytes every time', async () => {
    const svg = await renderSvg(BARS);
    expect(svg).toMatch(/^<svg [^>]*width="(\d+)" height="(\d+)"/);
    expect(svg).toContain('>Bars<');
    const [, w, h] = /width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    const png = svgToPng(svg, 2);
    expect(pngInfo(png)).toEqual({ width: 2 * w, height: 2 * h });
    expect(await renderSvg(BARS)).toBe(svg);
    expect(Buffer.from(svgToPng(svg, 2)).equals(Buffer.from(png))).toBe(true);
  });

  it('numbers gradients and clip paths by first appearance, whatever was rendered before', async () => {
    expect(normaliseSvgIds('<g clip-path="url(#clip7)"><rect fill="url(#gradient_12)"/><clipPath id="clip7"/><linearGradient id="gradient_12"/><x id="gradient_3"/><y id="p_gradient_3"/></g>')).toBe(
      '<g clip-path="url(#clip0)"><rect fill="url(#gradient_0)"/><clipPath id="clip0"/><linearGradient id="gradient_0"/><x id="gradient_1"/><y id="p_gradient_1"/></g>',
    );
    const gradient = topLevel('G', null, { data: { values: [{ a: 1 }, { a: 2 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' }, color: { field: 'a', type: 'quantitative' } } });
    const once = await renderSvg(gradient);
    expect(once).toContain('url(#gradient_0)');
    await renderSvg(gradient);
    expect(await renderSvg(gradient)).toBe(once);
  });

  it('draws text with the bundled font (no system fonts are loaded)', () => {
    const text = (s: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="5" y="28" font-family="DejaVu Sans, sans-serif" font-size="24">${s}</text></svg>`;
    const dark = (f: ReturnType<typeof svgToRgba>) => f.rgba.filter((_, i) => i % 4 === 0).filter((v) => v < 128).length;
    expect(dark(svgToRgba(text(''), 1))).toBe(0);
    expect(dark(svgToRgba(text('SEP 42'), 1))).toBeGreaterThan(100);
  });

  it('refuses a spec Vega-Lite warns about, naming the chart', () => {
    const bad = topLevel('Bad', null, { data: { values: [{ a: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' }, size: { field: 'a', type: 'nominal' } } });
    expect(() => toVega(bad, 'exp--bad')).toThrow(/^exp--bad: Vega-Lite warning: /);
  });
});
