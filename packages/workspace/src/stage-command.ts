/**
 * The generic command of a pipeline stage: `sortscope <stage> [--config FILE] [--<field> v …]`.
 * Loads and validates the experiment (defaults < file < flags), computes the stage's key from its
 * resolved section and its upstream keys, and runs the stage into artifacts/<stage>/<key>/
 * (or --out-dir). This is exactly what the Nx target runs, so standalone and Nx give the same files.
 * Paths on the command line (--config, --out-dir) are relative to the current folder.
 *
 * The config is validated, and a finished folder of the same key found, before the stage's code
 * (tfjs, Arrow, workers) is imported: a mistyped flag, a stale key or a rerun of a finished stage
 * is answered without loading it (this module imports only the light config modules).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ParsedArgs } from '@sortscope/core/cli-args';
import { ConfigError } from '@sortscope/core/errors';
import { log } from '@sortscope/core/progress';
import type { StageDef, StageName } from '@sortscope/core/stage';
import { configRefFromCwd, type Experiment, loadExperiment } from './experiment.ts';
import { experimentKeys, taskDir } from './plan.ts';

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

/** Run the stage `stage`; `loadRunner` imports its code, and is called only when there is work to do. */
export async function runStageCommand(stage: StageName, loadRunner: () => Promise<StageRunner>, args: ParsedArgs, workspaceRoot: string): Promise<number> {
  const file = args.globals.config === undefined ? undefined : configRefFromCwd(String(args.globals.config), workspaceRoot);
  const experiment = loadExperiment(file, workspaceRoot, { stage, values: args.overrides });
  const keys = experimentKeys(experiment.config);
  const { key, upstream } = keys[stage];
  const expect = args.globals['expect-key'] as string | undefined;
  if (expect !== undefined && expect !== key) {
    throw new ConfigError(`${experiment.file}: the ${stage} section resolves to key ${key}, expected ${expect}; the Nx project graph is stale, rerun nx`);
  }
  const outDir = args.globals['out-dir'] !== undefined ? checkOutDir(String(args.globals['out-dir']), '--out-dir') : taskDir(workspaceRoot, stage, key);
  const upstreamDirs = Object.fromEntries(Object.entries(upstream).map(([s, k]) => [s, taskDir(workspaceRoot, s as StageName, k!)]));
  const config = (experiment.config as Record<string, unknown>)[stage];
  const quiet = Boolean(args.globals.quiet);
  const run = async (dir = outDir) => {
    const runner = await loadRunner();
    if (runner.def.name !== stage) throw new Error(`the ${stage} command loaded the ${runner.def.name} stage`);
    return runner.run({ config, key, outDir: dir, upstreamDirs, experiment, workspaceRoot, quiet, options: args.globals });
  };
  // on a training run: verify the upstream folders, lock the output folder, write its manifest at the end (stage-guard.ts);
  // --weights FILE reads only that file and writes no stage folder
  const { freshRequested, reusable, runGuarded } = await import('./stage-guard.ts');
  const guard = { stage, key, outDir, upstreamDirs, experimentFile: experiment.file, experimentName: experiment.name };
  const fresh = freshRequested(args.globals.fresh);
  const reused = args.globals.weights ? null : reusable(guard, fresh);
  if (reused) log(`${stage}: ${outDir} already holds this key's finished artifacts: reusing them (--fresh recomputes)`, quiet);
  const result = reused
    ? { files: Object.fromEntries(Object.keys(reused.files).map((f) => [f, join(outDir, f)])), summary: { reused: true } }
    : args.globals.weights
      ? await run()
      : await runGuarded(guard, (dir) => run(dir), { fresh });
  if (args.globals.json) process.stdout.write(`${JSON.stringify({ stage, key, experiment: experiment.name, ...result }, null, 2)}\n`);
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
