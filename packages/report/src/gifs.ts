/**
 * The animated GIFs of the report: for every experiment with circuits, one per head and circuit
 * (`figures/<experiment>/{QK,OV}-L<layer>H<head>.gif`), every heatmap frame from the same spec as
 * the page (render.ts). Each GIF is independent, so they are rendered on worker threads (results
 * in job order: the files do not depend on the number of workers).
 */
import { join } from 'node:path';
import { defaultWorkers, runPool, writeFileAtomic } from '@sortscope/core';
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

/** Render and write every GIF; returns the page's links per chart id and the written files. */
export async function writeGifs(study: StudyModel, outDir: string, opts: { delayMs: number; holdMs: number; workers?: number }) {
  const planned = planGifs(study, opts);
  const workers = Math.min(opts.workers ?? defaultWorkers(), planned.length);
  const jobs = planned.map((p) => p.job);
  const gifs = workers > 0 ? await runPool<GifJob, Uint8Array>(jobs, { module: new URL('./gif-worker.ts', import.meta.url), init: null, size: workers }) : await inThread(jobs);
  const links: Record<string, { name: string; href: string }[]> = {};
  const files: Record<string, string> = {};
  planned.forEach((p, i) => {
    const path = join(outDir, p.href);
    writeFileAtomic(path, gifs[i]);
    files[p.href.replace(/^figures\//, '')] = path;
    (links[p.chart] ??= []).push({ name: p.label, href: p.href });
  });
  return { links, files, workers };
}

async function inThread(jobs: GifJob[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const j of jobs) out.push((await renderHeatmapGif(j.spec, j.frames, j.opts)).gif);
  return out;
}
