/**
 * The compact results of a study (data.ts) from its artifacts: the heavy half of `sortscope
 * findings` (it loads the report's readers and an engine), imported only when it reads artifacts
 * (`--save`, `--check`, or printing a study that has artifacts here). The committed file's half is
 * compact-file.ts.
 */
import { Progress } from '@sortscope/core/progress';
import { loadExperiment as loadArtifacts, type ReportExperiment, verifiedStages } from '@sortscope/report';
import { runBehaviour } from './behaviour.ts';
import { COMPACT_FORMAT, type CompactExperiment, type CompactStudy, compactExperiment } from './data.ts';
import { STAGE_NAMES, studyReportExperiments } from '@sortscope/workspace';
import { STAGES } from '@sortscope/workspace/plan';
import { plannedKeys } from './compact-file.ts';

/**
 * An entry of `committed` stands for the experiment's artifacts when it was computed by this code
 * (COMPACT_FORMAT), from the stages whose folders verify here, with the same keys: the stages'
 * outputs are deterministic for a key, so recomputing it would give the same numbers (`--check`
 * recomputes every entry to prove it). Its stage folders are verified, not read.
 */
function reusableEntry(e: ReportExperiment, old: CompactExperiment | undefined, planned: Record<string, string> | undefined): CompactExperiment | null {
  if (!old || old.format !== COMPACT_FORMAT || !old.stages || !old.keys || !planned) return null;
  const stages: string[] = verifiedStages(e);
  if (!stages.includes('train') || stages.length !== old.stages.length || !stages.every((s) => old.stages!.includes(s))) return null;
  return stages.every((s) => old.keys![s] === planned[s]) ? old : null;
}

/**
 * The compact results of the study's experiments that have finished training artifacts. With
 * `reuse` (the committed file, for `--save`), an entry whose stages and keys match the artifacts
 * here is taken as it is instead of recomputed (reusableEntry).
 */
export async function compactFromArtifacts(root: string, study: string, quiet = false, reuse: CompactStudy | null = null): Promise<CompactStudy> {
  const out: CompactExperiment[] = [];
  const planned = plannedKeys(root, study);
  const committed = new Map((reuse?.experiments ?? []).map((x) => [x.experiment, x]));
  const experiments = studyReportExperiments(root, study).filter((e) => e.dirs.train);
  const progress = new Progress({ label: 'findings', total: experiments.length, unit: 'experiments', quiet });
  for (const e of experiments) {
    const same = reusableEntry(e, committed.get(e.name), planned.get(e.name));
    if (same) {
      out.push(same);
      progress.update(out.length);
      continue;
    }
    const loaded = loadArtifacts(e, 'raw-normalised');
    progress.update(out.length);
    // a training run still in progress has a folder but no artifacts yet: skip it
    if (loaded.train === null) continue;
    // calibration at the checkpoints with an LLC estimate (and the last): λ̂ and calibration side by side
    const compact = compactExperiment(loaded);
    const llcSteps = compact.curve.filter((r) => Object.keys(r.llc).length > 0).map((r) => r.step);
    const behaviour = loaded.dataset ? await runBehaviour(e.dirs.train!, e.dirs.dataset!, { calibrationSteps: llcSteps }) : null;
    const stages = STAGE_NAMES.filter((st) => loaded[st] !== null && loaded[st] !== undefined);
    const keys = Object.fromEntries(stages.map((st) => [st, planned.get(e.name)![st]]));
    const versions = Object.fromEntries(stages.map((st) => [st, STAGES.find((d) => d.name === st)!.version]));
    out.push({ ...compact, behaviour, stages, keys, versions });
  }
  progress.finish();
  return {
    study,
    note: 'sortscope findings --save: per experiment, its facts, its per-checkpoint curve (circuits, LLC per target, weight norms) and its behaviour (essential dynamics, confidence under ablation); numbers to 6 significant digits',
    experiments: out,
  };
}
