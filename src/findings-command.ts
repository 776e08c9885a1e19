/**
 * `sortscope findings`: the numbers docs/findings.md cites, for every experiment of a study.
 * They come from the study's artifacts when it has any, else from its committed compact results
 * (docs/findings/<study>.json, written by `--save`), so they print on a fresh clone without
 * recomputing; `--check` recomputes them from the artifacts and compares with the committed file.
 * Read only, except `--save`. Definitions: src/findings.ts, findings-data.ts, findings-claims.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ArtifactError, ConfigError, log, Progress, writeFileAtomic } from '@sortscope/core';
import { loadExperiment as loadArtifacts } from '@sortscope/report';
import { behaviourMarkdown, cellSummaries, cellsMarkdown } from './findings-claims.ts';
import { runBehaviour } from './findings-behaviour.ts';
import { type CompactExperiment, type CompactStudy, compactExperiment } from './findings-data.ts';
import { compactCurveMarkdown, factsMarkdown } from './findings.ts';
import { currentStudy, DEFAULT_STUDY } from './experiment.ts';
import type { Command } from './main.ts';
import { studyReportExperiments } from './report-command.ts';

export const resultsFile = (root: string, study: string) => join(root, 'docs', 'findings', `${study}.json`);

/** The compact results of the study's experiments that have finished training artifacts. */
export async function compactFromArtifacts(root: string, study: string, quiet = false): Promise<CompactStudy> {
  const out: CompactExperiment[] = [];
  const experiments = studyReportExperiments(root, study).filter((e) => e.dirs.train);
  const progress = new Progress({ label: 'findings', total: experiments.length, unit: 'experiments', quiet });
  for (const e of experiments) {
    const loaded = loadArtifacts(e, 'raw-normalised');
    progress.update(out.length);
    // a training run still in progress has a folder but no artifacts yet: skip it
    if (loaded.train === null) continue;
    const behaviour = loaded.dataset ? await runBehaviour(e.dirs.train!, e.dirs.dataset!) : null;
    out.push(compactExperiment(loaded, behaviour));
  }
  progress.finish();
  return {
    study,
    note: 'sortscope findings --save: per experiment, its facts, its per-checkpoint curve (circuits, LLC per target, weight norms) and its behaviour (essential dynamics, confidence under ablation); numbers to 6 significant digits',
    experiments: out,
  };
}

export function readCompact(path: string): CompactStudy {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ArtifactError(`${path} is not readable JSON (${(err as Error).message}); regenerate it with: npx sortscope findings --study <study> --save`);
  }
  const d = data as Partial<CompactStudy>;
  if (typeof d.study !== 'string' || !Array.isArray(d.experiments)) throw new ArtifactError(`${path} is not a compact findings file (expected {study, note, experiments})`);
  return d as CompactStudy;
}

/** Differences between two compact studies, as readable lines (empty: they agree). */
export function compareCompact(a: CompactStudy, b: CompactStudy, rel = 1e-5): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (out.length >= 20) return;
    if (typeof x === 'number' && typeof y === 'number') {
      if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= rel * Math.max(Math.abs(x), Math.abs(y)))) out.push(`${path}: ${x} vs ${y}`);
    } else if (x && y && typeof x === 'object' && typeof y === 'object') {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}.${k}`);
    } else if (x !== y) out.push(`${path}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  };
  const byName = new Map(b.experiments.map((e) => [e.experiment, e]));
  for (const e of a.experiments) {
    const other = byName.get(e.experiment);
    if (!other) out.push(`${e.experiment}: only in the first`);
    else walk(e, other, e.experiment);
  }
  for (const e of b.experiments) if (!a.experiments.some((x) => x.experiment === e.experiment)) out.push(`${e.experiment}: only in the second`);
  return out;
}

export const findingsCommand: Command = {
  spec: {
    name: 'findings',
    summary: "Print the numbers docs/findings.md is written from, for a study's experiments: from its artifacts, or from its committed compact results.",
    globals: [
      { name: 'study', type: 'string', value: 'NAME', description: `the study [default: $SORTSCOPE_STUDY or ${DEFAULT_STUDY} (experiments/)]` },
      { name: 'cells', type: 'boolean', description: 'per cell (an experiment without its seed): mean ± sd over seeds of the stage markers and the LLC (src/findings-claims.ts)' },
      { name: 'curve', type: 'string', value: 'EXPERIMENT', description: "print one experiment's curve: loss, overlap, regions, split agreement, LLC per target" },
      { name: 'from', type: 'string', value: 'FILE', description: 'read these compact results [default: the artifacts if the study has any, else docs/findings/<study>.json]' },
      { name: 'save', type: 'boolean', description: 'compute the compact results from the artifacts and write docs/findings/<study>.json' },
      { name: 'check', type: 'boolean', description: 'recompute from the artifacts and compare with docs/findings/<study>.json (exit 3 on a difference)' },
      { name: 'json', type: 'boolean', description: 'print JSON instead of Markdown tables' },
      { name: 'quiet', type: 'boolean', description: 'no log lines on stderr' },
    ],
    notes: ['Experiments without finished train artifacts are skipped. Definitions: src/findings.ts, src/findings-data.ts, src/findings-claims.ts.'],
  },
  async run(args, root) {
    const g = args.globals;
    const quiet = Boolean(g.quiet);
    const study = (g.study as string | undefined) ?? currentStudy();
    const committed = resultsFile(root, study);
    const fromArtifacts = async () => {
      const c = await compactFromArtifacts(root, study, quiet);
      if (c.experiments.length === 0) throw new ConfigError(`study '${study}': no experiment has been trained yet (run: SORTSCOPE_STUDY=${study} npx nx run-many -t analyze)`);
      return c;
    };
    let data: CompactStudy;
    if (g.save || g.check) {
      data = await fromArtifacts();
      if (g.save) {
        writeFileAtomic(committed, `${JSON.stringify(data)}\n`);
        log(`findings: ${data.experiments.length} experiments → ${relative(root, committed)}`, quiet);
      } else {
        if (!existsSync(committed)) throw new ArtifactError(`--check: ${relative(root, committed)} does not exist; write it with --save`);
        const diff = compareCompact(readCompact(committed), data);
        if (diff.length) throw new ArtifactError(`--check: the artifacts differ from ${relative(root, committed)}:\n  ${diff.join('\n  ')}`);
        log(`findings: the artifacts reproduce ${relative(root, committed)} (${data.experiments.length} experiments)`, quiet);
      }
    } else if (g.from !== undefined) data = readCompact(String(g.from));
    else if (studyReportExperiments(root, study).some((e) => e.dirs.train)) data = await fromArtifacts();
    else if (existsSync(committed)) {
      log(`findings: no artifacts of study '${study}' here; printing its committed results ${relative(root, committed)}`, quiet);
      data = readCompact(committed);
    } else throw new ConfigError(`study '${study}': no experiment has been trained yet and ${relative(root, committed)} does not exist (run: SORTSCOPE_STUDY=${study} npx nx run-many -t analyze)`);

    const curve = g.curve as string | undefined;
    if (curve !== undefined) {
      const e = data.experiments.find((x) => x.experiment === curve);
      if (!e) throw new ConfigError(`--curve: got ${JSON.stringify(curve)}; expected one of: ${data.experiments.map((x) => x.experiment).join(', ')}`);
      process.stdout.write(g.json ? `${JSON.stringify(e.curve, null, 2)}\n` : compactCurveMarkdown(e));
    } else if (g.cells) {
      const cells = cellSummaries(data.experiments);
      process.stdout.write(g.json ? `${JSON.stringify(cells, null, 2)}\n` : `${cellsMarkdown(cells)}\n${behaviourMarkdown(cells)}`);
    } else {
      const facts = data.experiments.map((e) => e.facts);
      process.stdout.write(g.json ? `${JSON.stringify(facts, null, 2)}\n` : factsMarkdown(facts));
    }
    return 0;
  },
};
