/**
 * The report stage: read the artifacts of a study's experiments (whatever exists of them), build
 * the report model, and write
 *
 *   <outDir>/index.html                              the self-contained interactive report
 *   <outDir>/summary.json                            the summary table
 *   <outDir>/figures/<experiment>/<chart>.{svg,png}  every chart of an experiment, static
 *   <outDir>/figures/study/<chart>.{svg,png}         the overlays (with ≥ 2 experiments)
 *   <outDir>/figures/<experiment>/{QK,OV}-L<l>H<h>.gif   each head's circuits over training
 *
 * atomically and deterministically (no timestamps, no absolute paths); figures left over from an
 * earlier report in the same folder are removed. Unlike the per-experiment stages it is not keyed
 * by one experiment: it covers a study, and its inputs are the other stages' folders.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { log, writeFileAtomic } from '@sortscope/core';
import { browserLibraries } from './assets.ts';
import { type ChartEntry, diagnoseCharts, experimentCharts, studyCharts } from './charts.ts';
import { loadDiagnoses } from './load-diagnoses.ts';
import { reportHtml } from './html.ts';
import { loadExperiment, type ReportExperiment } from './load.ts';
import { writeGifs } from './gifs.ts';
import { buildReportModel } from './model.ts';
import { renderSvg, svgToPng } from './render.ts';
import { type ReportConfig, type ReportConfigInput, ReportConfigSchema } from './schema.ts';

export type { ReportExperiment } from './load.ts';

export interface RunReportOptions {
  experiments: ReportExperiment[];
  outDir: string;
  /** study-level options (ReportConfigSchema); `title`, `figures` and `gifs` below override them */
  config?: ReportConfigInput;
  title?: string;
  quiet?: boolean;
  figures?: boolean;
  gifs?: boolean;
  /** worker threads for the GIFs (0: this thread) [default: the available cores] */
  workers?: number;
  /** where the paths of `config.diagnoses` start [default: the working directory] */
  root?: string;
}

function resolveConfig(opts: RunReportOptions): ReportConfig {
  const over = Object.fromEntries(Object.entries({ title: opts.title, figures: opts.figures, gifs: opts.gifs }).filter(([, v]) => v !== undefined));
  return ReportConfigSchema.parse({ ...(opts.config ?? {}), ...over });
}

/** Remove figure files under `dir` that this run did not write (an experiment left the study). */
function removeStale(dir: string, keep: Set<string>): void {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true }) as string[];
  } catch {
    return;
  }
  for (const rel of entries) {
    const path = join(dir, rel);
    if (/\.(svg|png|gif)$/.test(rel) && !keep.has(path) && statSync(path).isFile()) rmSync(path);
  }
}

async function writeFigures(charts: ChartEntry[], outDir: string, config: ReportConfig, files: Record<string, string>): Promise<void> {
  for (const c of charts) {
    if (!c.spec) continue;
    const svg = await renderSvg(c.still ?? c.spec, c.id);
    const base = join(outDir, 'figures', c.folder, c.file);
    writeFileAtomic(`${base}.svg`, svg);
    writeFileAtomic(`${base}.png`, svgToPng(svg, config.png_scale));
    files[`${c.folder}/${c.file}.svg`] = `${base}.svg`;
    files[`${c.folder}/${c.file}.png`] = `${base}.png`;
  }
}

export async function runReport(opts: RunReportOptions): Promise<{ files: Record<string, string>; summary: unknown }> {
  const t0 = performance.now();
  const config = resolveConfig(opts);
  const loaded = opts.experiments.map((e) => loadExperiment(e, config.convention));
  const study = buildReportModel(loaded, config, loadDiagnoses(config.diagnoses, opts.root ?? process.cwd()));
  const perExperiment = study.experiments.map((e) => experimentCharts(e));
  const overlays = [...(study.experiments.length > 1 ? studyCharts(study) : []), ...diagnoseCharts(study)];
  const tLoaded = performance.now();
  for (const e of study.experiments) for (const m of e.missing) log(`report: ${e.name}: ${m.stage} missing: ${m.reason}`, opts.quiet);

  const files: Record<string, string> = {};
  // the GIFs render on worker threads while this thread renders the static figures
  const gifsRun = config.gifs ? writeGifs(study, opts.outDir, { delayMs: config.gif_frame_ms, holdMs: config.gif_hold_ms, workers: opts.workers }) : null;
  if (config.figures) await writeFigures([...overlays, ...perExperiment.flat()], opts.outDir, config, files);
  const tFigures = performance.now();
  const gifs = gifsRun ? await gifsRun : null;
  Object.assign(files, gifs?.files);
  const tGifs = performance.now();
  removeStale(join(opts.outDir, 'figures'), new Set(Object.values(files)));

  const html = reportHtml({ study, studyCharts: overlays, experimentCharts: perExperiment, libraries: browserLibraries(), figures: config.figures, gifs: gifs?.links ?? {}, frameMs: config.gif_frame_ms });
  files.html = join(opts.outDir, 'index.html');
  writeFileAtomic(files.html, html);
  files.summary = join(opts.outDir, 'summary.json');
  writeFileAtomic(files.summary, `${JSON.stringify({ title: study.title, convention: study.convention, experiments: study.summary }, null, 2)}\n`);

  const seconds = (performance.now() - t0) / 1000;
  const charts = [...overlays, ...perExperiment.flat()];
  const timing = { load_and_model: (tLoaded - t0) / 1000, figures: (tFigures - tLoaded) / 1000, gifs_after_figures: (tGifs - tFigures) / 1000, gif_workers: gifs?.workers ?? 0 };
  log(
    `report: ${study.experiments.length} experiment(s), ${charts.filter((c) => c.spec).length} charts (${charts.filter((c) => !c.spec).length} unavailable), ` +
      `${Object.keys(files).length - 2} figure files → ${relative(process.cwd(), files.html) || files.html} (${(html.length / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)}s`,
    opts.quiet,
  );
  return {
    files,
    summary: {
      seconds,
      timing,
      html_bytes: Buffer.byteLength(html),
      experiments: study.summary,
      charts: charts.map((c) => ({ id: c.id, drawn: c.spec !== null, missing: c.missing })),
    },
  };
}
