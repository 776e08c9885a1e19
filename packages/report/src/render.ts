/**
 * Static renders of the report's Vega-Lite specs, without a browser: Vega-Lite compiles the spec,
 * a headless Vega View (renderer 'none') produces the SVG, resvg rasterises it to PNG with the
 * bundled DejaVu Sans fonts (system fonts are not loaded, so the output is the same everywhere).
 * Heatmap GIFs re-use one View: set the checkpoint param, run, take the SVG, rasterise, encode.
 */
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { fontFiles } from './assets.ts';
import type { VlSpec } from './chart-common.ts';
import { CKPT_PARAM } from './chart-heatmap.ts';
import { encodeGif, type RgbaFrame } from './gif.ts';

export class RenderError extends Error {
  override name = 'RenderError';
}

/** Vega-Lite → Vega; any Vega-Lite warning is an error (a spec that warns is a bug here). */
export function toVega(spec: VlSpec, what = 'chart'): vega.Spec {
  const problems: string[] = [];
  const logger = {
    level: (..._: unknown[]) => logger,
    error: (...a: unknown[]) => (problems.push(`error: ${a.join(' ')}`), logger),
    warn: (...a: unknown[]) => (problems.push(`warning: ${a.join(' ')}`), logger),
    info: () => logger,
    debug: () => logger,
  };
  const out = compile(spec as never, { logger: logger as never }).spec;
  if (problems.length) throw new RenderError(`${what}: Vega-Lite ${problems.join('; ')}`);
  return out as vega.Spec;
}

function newView(spec: VlSpec, what: string): vega.View {
  return new vega.View(vega.parse(toVega(spec, what)), { renderer: 'none', logLevel: vega.Error });
}

/**
 * Vega numbers gradients and clip paths with process-wide counters (`gradient_12`, `clip7`), so
 * the same chart would get other ids after other charts were rendered: renumber them in order
 * of first appearance, which makes the SVG depend on the chart alone.
 */
export function normaliseSvgIds(svg: string): string {
  const ids = new Map<string, string>();
  return svg.replace(/(gradient_|clip)(\d+)\b/g, (m, kind: string) => {
    if (!ids.has(m)) ids.set(m, `${kind}${[...ids.keys()].filter((k) => k.startsWith(kind)).length}`);
    return ids.get(m)!;
  });
}

/** The chart as a standalone SVG document. */
export async function renderSvg(spec: VlSpec, what = 'chart'): Promise<string> {
  const view = newView(spec, what);
  try {
    await view.runAsync();
    return normaliseSvgIds(await view.toSVG());
  } finally {
    view.finalize();
  }
}

let resvgOptions: ResvgRenderOptions | null = null;
function options(scale: number): ResvgRenderOptions {
  resvgOptions ??= { font: { loadSystemFonts: false, fontFiles: fontFiles(), defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' }, background: 'white', shapeRendering: 2, textRendering: 1 };
  return { ...resvgOptions, fitTo: { mode: 'zoom', value: scale } };
}

export function svgToPng(svg: string, scale: number): Uint8Array {
  return new Resvg(svg, options(scale)).render().asPng();
}

export function svgToRgba(svg: string, scale: number): RgbaFrame {
  const img = new Resvg(svg, options(scale)).render();
  return { width: img.width, height: img.height, rgba: new Uint8Array(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength) };
}

/**
 * An animated GIF of a heatmap spec (chart-heatmap.ts) over its frames: the checkpoint param set
 * to 0 … frames − 1 in turn, each frame rendered like the static figures.
 */
export async function renderHeatmapGif(spec: VlSpec, frames: number, opts: { scale: number; delayMs: number; holdMs: number; what?: string }): Promise<{ gif: Uint8Array; frames: number; width: number; height: number }> {
  const view = newView(spec, opts.what ?? 'heatmap');
  const images: RgbaFrame[] = [];
  try {
    for (let i = 0; i < frames; i++) {
      view.signal(CKPT_PARAM, i);
      await view.runAsync();
      images.push(svgToRgba(await view.toSVG(), opts.scale));
    }
  } finally {
    view.finalize();
  }
  const gif = encodeGif(images, { delayMs: opts.delayMs, holdMs: opts.holdMs });
  return { gif, frames: images.length, width: Math.max(...images.map((f) => f.width)), height: Math.max(...images.map((f) => f.height)) };
}
