/**
 * The report stage: read the artifacts of a study's experiments (whatever exists of them), build
 * the report model, and write
 *
 *   <outDir>/index.html                              the self-contained interactive report
 *   <outDir>/summary.json                            the summary table
 *   <outDir>/experiments.json                        each experiment's artifact folders (experiments-index.ts)
 *   <outDir>/figures/<experiment>/<chart>.{svg,png}  every chart of an experiment, static
 *   <outDir>/figures/study/<chart>.{svg,png}         the overlays (with ≥ 2 experiments)
 *   <outDir>/figures/<experiment>/{QK,OV}-L<l>H<h>.gif   each head's circuits over training
 *
 * atomically and deterministically (no timestamps, no absolute paths). Figures whose inputs did not
 * change since the last report into the same folder are kept, not rendered again, and figures that
 * report wrote and this one does not are removed (figure-cache.ts: figures/index.json). Unlike the per-experiment stages it is not keyed
 * by one experiment: it covers a study, and its inputs are the other stages' folders.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { log, writeFileAtomic } from '@sortscope/core';
import { experimentsIndex } from './experiments-index.ts';
import { FigureCache, renderKey } from './figure-cache.ts';
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

/** Every chart as SVG and PNG, rendered again only when its spec (data included) or the PNG scale changed. */
async function writeFigures(charts: ChartEntry[], outDir: string, config: ReportConfig, cache: FigureCache, files: Record<string, string>): Promise<void> {
  const libraries = browserLibraries().map((l) => `${l.name}@${l.version}`);
  for (const c of charts) {
    if (!c.spec) continue;
    const spec = c.still ?? c.spec;
    const [svgRel, pngRel] = [`${c.folder}/${c.file}.svg`, `${c.folder}/${c.file}.png`];
    const key = renderKey('figure', libraries, spec);
    const pngKey = renderKey('png', libraries, spec, config.png_scale);
    files[svgRel] = join(outDir, 'figures', svgRel);
    files[pngRel] = join(outDir, 'figures', pngRel);
    const svgKept = cache.reuse(svgRel, key);
    const pngKept = cache.reuse(pngRel, pngKey);
    if (svgKept && pngKept) continue;
    const svg = svgKept ? readFileSync(files[svgRel], 'utf8') : await renderSvg(spec, c.id);
    if (!svgKept) cache.write(svgRel, key, svg);
    if (!pngKept) cache.write(pngRel, pngKey, svgToPng(svg, config.png_scale));
  }
}

export async function runReport(opts: RunReportOptions): Promise<{ files: Record<string, string>; refused: { experiment: string; stage: string; reason: string }[]; summary: unknown }> {
  const t0 = performance.now();
  const config = resolveConfig(opts);
  const loaded = opts.experiments.map((e) => loadExperiment(e, config.convention));
  const study = buildReportModel(loaded, config, loadDiagnoses(config.diagnoses, opts.root ?? process.cwd()));
  const perExperiment = study.experiments.map((e) => experimentCharts(e));
  const overlays = [...(study.experiments.length > 1 ? studyCharts(study) : []), ...diagnoseCharts(study)];
  const tLoaded = performance.now();
  for (const e of study.experiments) for (const m of e.missing) log(`report: ${e.name}: ${m.stage} missing: ${m.reason}`, opts.quiet);

  const files: Record<string, string> = {};
  const cache = new FigureCache(join(opts.outDir, 'figures'));
  // the GIFs render on worker threads while this thread renders the static figures
  const gifsRun = config.gifs ? writeGifs(study, opts.outDir, cache, { delayMs: config.gif_frame_ms, holdMs: config.gif_hold_ms, workers: opts.workers }) : null;
  if (config.figures) await writeFigures([...overlays, ...perExperiment.flat()], opts.outDir, config, cache, files);
  const tFigures = performance.now();
  const gifs = gifsRun ? await gifsRun : null;
  Object.assign(files, gifs?.files);
  const tGifs = performance.now();
  if (config.figures || config.gifs) cache.finish();

  const html = reportHtml({ study, studyCharts: overlays, experimentCharts: perExperiment, libraries: browserLibraries(), figures: config.figures, gifs: gifs?.links ?? {}, frameMs: config.gif_frame_ms });
  files.html = join(opts.outDir, 'index.html');
  writeFileAtomic(files.html, html);
  files.summary = join(opts.outDir, 'summary.json');
  writeFileAtomic(files.summary, `${JSON.stringify({ title: study.title, convention: study.convention, experiments: study.summary }, null, 2)}\n`);
  files.experiments = join(opts.outDir, 'experiments.json');
  writeFileAtomic(files.experiments, `${JSON.stringify(experimentsIndex(opts.experiments, loaded), null, 2)}\n`);

  const seconds = (performance.now() - t0) / 1000;
  const charts = [...overlays, ...perExperiment.flat()];
  const timing = { load_and_model: (tLoaded - t0) / 1000, figures: (tFigures - tLoaded) / 1000, gifs_after_figures: (tGifs - tFigures) / 1000, gif_workers: gifs?.workers ?? 0, figures_rendered: cache.rendered, figures_reused: cache.reused };
  log(
    `report: ${study.experiments.length} experiment(s), ${charts.filter((c) => c.spec).length} charts (${charts.filter((c) => !c.spec).length} unavailable), ` +
      `${Object.keys(files).length - 3} figure files (${cache.rendered} rendered, ${cache.reused} unchanged) → ${relative(process.cwd(), files.html) || files.html} (${(html.length / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)}s`,
    opts.quiet,
  );
  return {
    files,
    // stage folders that exist but were refused: the page shows them missing; the command exits 3
    refused: study.experiments.flatMap((e) => e.missing.filter((m) => m.refused).map((m) => ({ experiment: e.name, stage: m.stage, reason: m.reason }))),
    summary: {
      seconds,
      timing,
      html_bytes: Buffer.byteLength(html),
      experiments: study.summary,
      charts: charts.map((c) => ({ id: c.id, drawn: c.spec !== null, missing: c.missing })),
    },
  };
}
