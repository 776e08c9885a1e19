/**
 * What every stage run goes through, around the stage itself (CLI and Nx alike):
 *   1. each upstream folder is verified (manifest, key, content hashes, and that it was computed
 *      from the other upstream folders as they are now): nothing damaged or mismatched is read;
 *   2. the output folder is locked (one process per folder) and cleared of stale temporaries;
 *   3. if it holds a finished result for this key (its manifest verifies), the stage command reuses
 *      it and computes nothing (`reusable`), unless told `--fresh` or a recomputation cut short
 *      waits in `<folder>/.next`; then the stage computes into
 *      `<folder>/.next` and the result is swapped in at the end (core/lineage.ts,
 *      completeStagedResult): a rerun cut short (killed, a full disk) leaves the finished result
 *      as it was, and the next rerun resumes in `.next`;
 *   4. otherwise its manifest is removed, so a run cut short leaves a folder that downstream stages
 *      refuse, and the stage runs in place;
 *   5. the manifest records the result's files' hashes and its inputs; only then is the stage's
 *      resume state (`partial/`) removed.
 * `--fresh` (or SORTSCOPE_FRESH=1) also discards any saved resume state before the stage starts.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { clearManifest, regenerateHint, completeStagedResult, lockStageDir, MANIFEST, type Manifest, PARTIAL, STAGED, type StageName, verifyStageDir, writeManifest } from '@sortscope/core';

/** each stage's upstream stages (the StageDefs' `upstream`) */
const UPSTREAM: Record<StageName, StageName[]> = { dataset: [], train: ['dataset'], circuits: ['dataset', 'train'], llc: ['dataset', 'train'], report: [] };

export interface GuardedRun {
  stage: StageName;
  key: string;
  outDir: string;
  upstreamDirs: Partial<Record<StageName, string>>;
  /** the experiment file, for "rerun …" hints */
  experimentFile?: string;
  /** the experiment whose run this is, recorded in the manifest */
  experimentName?: string;
}

/** Verify every upstream folder given, each against the ones it was computed from. */
export function verifyUpstream(upstreamDirs: Partial<Record<StageName, string>>, experimentFile?: string): void {
  for (const [stage, dir] of Object.entries(upstreamDirs) as [StageName, string][]) {
    const own = Object.fromEntries(UPSTREAM[stage].filter((s) => upstreamDirs[s]).map((s) => [s, upstreamDirs[s]!]));
    const regenerate = regenerateHint(stage, experimentFile);
    verifyStageDir(dir, stage, { key: basename(dir), upstreamDirs: own, regenerate });
  }
}

/**
 * The output folder's manifest, if it verifies for this key and against the upstream folders as they
 * are now (the key already hashes the stage version, the config and the upstream keys): a rerun then
 * computes nothing, so a code edit that changes Nx's task hashes but not the stage's results (bump
 * the stage's `version` when a change does alter them) costs no recomputation and cannot lose a
 * finished result. `fresh` (`--fresh`, SORTSCOPE_FRESH=1) recomputes anyway.
 */
export function reusable(g: GuardedRun, fresh: boolean): Manifest | null {
  // a recomputation that was cut short (its work in `.next`) is resumed rather than left behind
  if (fresh || existsSync(join(g.outDir, STAGED))) return null;
  return finished(g);
}

/** `--fresh` given, or SORTSCOPE_FRESH=1 (for runs started by Nx, whose commands take no extra flags). */
export function freshRequested(flag: unknown): boolean {
  return Boolean(flag) || process.env.SORTSCOPE_FRESH === '1';
}

/** The folder's manifest if it verifies for this key and against the upstream folders as they are now. */
function finished(g: GuardedRun): Manifest | null {
  if (!existsSync(join(g.outDir, MANIFEST))) return null;
  try {
    return verifyStageDir(g.outDir, g.stage, { key: g.key, upstreamDirs: g.upstreamDirs as Record<string, string> });
  } catch {
    return null;
  }
}

/** Run the stage into the folder it is given (the output folder, or its `.next` beside a finished result). */
export async function runGuarded<T>(g: GuardedRun, run: (outDir: string) => Promise<T> | T, opts: { fresh?: boolean } = {}): Promise<T> {
  verifyUpstream(g.upstreamDirs, g.experimentFile);
  const lock = lockStageDir(g.outDir, `the ${g.stage} stage`, Object.values(g.upstreamDirs).map((d) => resolve(d)));
  try {
    completeStagedResult(g.outDir); // a swap cut short by a crash is completed first
    const upstream = g.upstreamDirs as Record<string, string>;
    const next = join(g.outDir, STAGED);
    if (finished(g)) {
      if (opts.fresh) rmSync(next, { recursive: true, force: true }); // a fresh run resumes nothing
      mkdirSync(next, { recursive: true });
      const result = await run(next);
      writeManifest(next, g.stage, g.key, upstream, g.experimentName);
      completeStagedResult(g.outDir);
      return result;
    }
    rmSync(next, { recursive: true, force: true });
    clearManifest(g.outDir);
    if (opts.fresh) rmSync(join(g.outDir, PARTIAL), { recursive: true, force: true });
    const result = await run(g.outDir);
    writeManifest(g.outDir, g.stage, g.key, upstream, g.experimentName);
    // the resume state goes only once the manifest certifies the result: a stage stopped before
    // that (killed with its Nx run) resumes from its sealed checkpoints instead of starting over
    rmSync(join(g.outDir, PARTIAL), { recursive: true, force: true });
    return result;
  } finally {
    lock.release();
  }
}
