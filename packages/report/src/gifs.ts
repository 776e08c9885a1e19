/**
 * The animated GIFs of the report: for every experiment with circuits, one per head and circuit
 * (`figures/<experiment>/{QK,OV}-L<layer>H<head>.gif`), every heatmap frame from the same spec as
 * the page (render.ts). Each GIF is independent, so they are rendered on worker threads (results
 * in job order: the files do not depend on the number of workers); a GIF whose inputs did not
 * change since the last report into the folder is kept (figure-cache.ts).
 */
import { join } from 'node:path';
import { defaultWorkers, runPool } from '@sortscope/core';
import { type FigureCache, renderKey } from './figure-cache.ts';
import type { VlSpec } from './chart-common.ts';
import { heatmapSpec } from './chart-heatmap.ts';
import type { StudyModel } from './model.ts';
import { renderHeatmapGif } from './render.ts';

export interface GifJob {
  spec: VlSpec;
  frames: number;
  opts: { scale: number; delayMs: number; holdMs: number; what: string };
}

interface PlannedGif {
  /** the heatmap chart's id in the page */
  chart: string;
  /** relative to the report folder */
  href: string;
  label: string;
  job: GifJob;
}

export function planGifs(study: StudyModel, timing: { delayMs: number; holdMs: number }): PlannedGif[] {
  return study.experiments.flatMap((e) => {
    const h = e.circuits?.heatmap;
    if (!h) return [];
    return h.panels.map((p) => {
      const name = `${p.circuit}-${p.head}.gif`;
      const spec = heatmapSpec(h, { title: e.name, panels: [p.m], interactive: false, frame: 0 });
      return { chart: `${e.slug}--circuits`, href: `figures/${e.slug}/${name}`, label: `${p.circuit} ${p.head} GIF`, job: { spec, frames: h.steps.length, opts: { scale: 1, ...timing, what: `${e.name} ${name}` } } };
    });
  });
}

/**
 * Render and write every GIF whose job (spec with its frames' data, timing) changed since the last
 * report into this folder (figure-cache.ts); returns the page's links per chart id and the files.
 */
export async function writeGifs(study: StudyModel, outDir: string, cache: FigureCache, opts: { delayMs: number; holdMs: number; workers?: number }) {
  const planned = planGifs(study, { delayMs: opts.delayMs, holdMs: opts.holdMs }).map((p) => ({ ...p, rel: p.href.replace(/^figures\//, ''), key: renderKey('gif', p.job) }));
  const todo = planned.filter((p) => !cache.reuse(p.rel, p.key));
  const workers = Math.min(opts.workers ?? defaultWorkers(), todo.length);
  const jobs = todo.map((p) => p.job);
  const gifs = workers > 0 ? await runPool<GifJob, Uint8Array>(jobs, { module: new URL('./gif-worker.ts', import.meta.url), init: null, size: workers }) : await inThread(jobs);
  todo.forEach((p, i) => cache.write(p.rel, p.key, gifs[i]));
  const links: Record<string, { name: string; href: string }[]> = {};
  const files: Record<string, string> = {};
  for (const p of planned) {
    files[p.rel] = join(outDir, p.href);
    (links[p.chart] ??= []).push({ name: p.label, href: p.href });
  }
  return { links, files, workers };
}

async function inThread(jobs: GifJob[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const j of jobs) out.push((await renderHeatmapGif(j.spec, j.frames, j.opts)).gif);
  return out;
}
