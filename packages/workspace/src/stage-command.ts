/**
 * The generic command of a pipeline stage: `sortscope <stage> [--config FILE] [--<field> v …]`.
 * Loads and validates the experiment (defaults < file < flags), computes the stage's key from its
 * resolved section and its upstream keys, and runs the stage into artifacts/<stage>/<key>/
 * (or --out-dir). This is exactly what the Nx target runs, so standalone and Nx give the same files.
 * Paths on the command line (--config, --out-dir) are relative to the current folder.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, log, type ParsedArgs, type StageDef, type StageName } from '@sortscope/core';
import { configRefFromCwd, type Experiment, loadExperiment } from './experiment.ts';
import { experimentKeys, taskDir } from './plan.ts';
import { freshRequested, reusable, runGuarded } from './stage-guard.ts';

export interface StageContext {
  config: unknown;
  key: string;
  outDir: string;
  /** upstream stage → its artifact directory */
  upstreamDirs: Partial<Record<StageName, string>>;
  experiment: Experiment;
  workspaceRoot: string;
  quiet: boolean;
  /** the command's own options (StageRunner.globals), e.g. backend */
  options: Record<string, unknown>;
}

/** A stage and how to run it (its command's flags and notes: StageParts in main.ts). */
export interface StageRunner {
  def: StageDef;
  run(ctx: StageContext): Promise<{ files: Record<string, string>; summary: unknown }> | { files: Record<string, string>; summary: unknown };
}

export async function runStageCommand(runner: StageRunner, args: ParsedArgs, workspaceRoot: string): Promise<number> {
  const file = args.globals.config === undefined ? undefined : configRefFromCwd(String(args.globals.config), workspaceRoot);
  const experiment = loadExperiment(file, workspaceRoot, { stage: runner.def.name, values: args.overrides });
  const keys = experimentKeys(experiment.config);
  const { key, upstream } = keys[runner.def.name];
  const expect = args.globals['expect-key'] as string | undefined;
  if (expect !== undefined && expect !== key) {
    throw new ConfigError(`${experiment.file}: the ${runner.def.name} section resolves to key ${key}, expected ${expect}; the Nx project graph is stale, rerun nx`);
  }
  const outDir = args.globals['out-dir'] !== undefined ? checkOutDir(String(args.globals['out-dir']), '--out-dir') : taskDir(workspaceRoot, runner.def.name, key);
  const upstreamDirs = Object.fromEntries(Object.entries(upstream).map(([s, k]) => [s, taskDir(workspaceRoot, s as StageName, k!)]));
  const config = (experiment.config as Record<string, unknown>)[runner.def.name];
  const quiet = Boolean(args.globals.quiet);
  const run = (dir = outDir) => runner.run({ config, key, outDir: dir, upstreamDirs, experiment, workspaceRoot, quiet, options: args.globals });
  // on a training run: verify the upstream folders, lock the output folder, write its manifest at the end (stage-guard.ts);
  // --weights FILE reads only that file and writes no stage folder
  const guard = { stage: runner.def.name, key, outDir, upstreamDirs, experimentFile: experiment.file, experimentName: experiment.name };
  const fresh = freshRequested(args.globals.fresh);
  const reused = args.globals.weights ? null : reusable(guard, fresh);
  if (reused) log(`${runner.def.name}: ${outDir} already holds this key's finished artifacts: reusing them (--fresh recomputes)`, quiet);
  const result = reused
    ? { files: Object.fromEntries(Object.keys(reused.files).map((f) => [f, join(outDir, f)])), summary: { reused: true } }
    : args.globals.weights
      ? await run()
      : await runGuarded(guard, (dir) => run(dir), { fresh });
  if (args.globals.json) process.stdout.write(`${JSON.stringify({ stage: runner.def.name, key, experiment: experiment.name, ...result }, null, 2)}\n`);
  return 0;
}

/**
 * An output folder given on the command line, resolved from the current folder: refused (exit 2,
 * before anything is written) when it, or the nearest part of it that exists, is not a folder.
 */
export function checkOutDir(typed: string, flag: string): string {
  if (typed.trim() === '') throw new ConfigError(`${flag}: got an empty path; expected a folder`);
  const abs = resolve(typed);
  for (let p = abs; ; p = dirname(p)) {
    if (existsSync(p)) {
      if (statSync(p).isDirectory()) return abs;
      if (p === abs) throw new ConfigError(`${flag} ${typed}: ${abs} is an existing file; expected a folder (existing or to be created)`);
      throw new ConfigError(`${flag} ${typed}: ${p} is a file, so the folder ${abs} cannot be created`);
    }
    if (dirname(p) === p) return abs;
  }
}
