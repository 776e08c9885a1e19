/**
 * From experiments to stage tasks. Each stage of an experiment is identified by its key
 * (core/stage.ts: a hash of the stage, its version, its resolved section and its upstream keys);
 * experiments that agree on a stage and everything upstream of it share that task, so the
 * dataset of ten seeds of the same model is generated once.
 */
// the stages' declarations only (their schema modules): planning never loads a stage's code
import { circuitsStage } from '@sortscope/circuits/schema';
import { stageDir, type StageDef, stageKey, type StageName } from '@sortscope/core/stage';
import { datasetStage } from '@sortscope/dataset/schema';
import { llcStage } from '@sortscope/llc/schema';
import { trainStage } from '@sortscope/train/schema';
import type { Experiment, ExperimentConfig } from './experiment.ts';

/** The stages in DAG order. */
export const STAGES: StageDef[] = [datasetStage, trainStage, circuitsStage, llcStage];

export function stageDef(name: StageName): StageDef {
  const def = STAGES.find((s) => s.name === name);
  if (!def) throw new Error(`unknown stage '${name}'`);
  return def;
}

export interface StageTask {
  stage: StageName;
  key: string;
  /** the resolved section */
  config: unknown;
  /** upstream stage → key */
  upstream: Partial<Record<StageName, string>>;
  /** experiments that use this task, sorted */
  experiments: string[];
  /** the experiment file the Nx target runs (the first experiment that uses the task) */
  file: string;
}

/**
 * The key of every stage of one experiment; with `versions`, the keys it had under those stage
 * versions (a stage absent from them: today's), which tells a version bump from a config change.
 */
export function experimentKeys(config: ExperimentConfig, versions?: Partial<Record<string, string>>): Record<string, { key: string; upstream: Partial<Record<StageName, string>> }> {
  const out: Record<string, { key: string; upstream: Partial<Record<StageName, string>> }> = {};
  for (const today of STAGES) {
    const def = versions?.[today.name] ? { ...today, version: versions[today.name]! } : today;
    const upstream = Object.fromEntries(def.upstream.map((u) => [u, out[u].key])) as Partial<Record<StageName, string>>;
    out[def.name] = { key: stageKey(def, (config as Record<string, unknown>)[def.name], upstream as Record<string, string>), upstream };
  }
  return out;
}

/** All distinct stage tasks of a set of experiments, in DAG order. */
export function planTasks(experiments: Experiment[]): StageTask[] {
  const tasks = new Map<string, StageTask>();
  const sorted = [...experiments].sort((a, b) => a.name.localeCompare(b.name));
  for (const exp of sorted) {
    const keys = experimentKeys(exp.config);
    for (const def of STAGES) {
      const id = `${def.name}:${keys[def.name].key}`;
      const existing = tasks.get(id);
      if (existing) existing.experiments.push(exp.name);
      else {
        tasks.set(id, {
          stage: def.name,
          key: keys[def.name].key,
          config: (exp.config as Record<string, unknown>)[def.name],
          upstream: keys[def.name].upstream,
          experiments: [exp.name],
          file: exp.file,
        });
      }
    }
  }
  return [...tasks.values()].sort((a, b) => STAGES.findIndex((s) => s.name === a.stage) - STAGES.findIndex((s) => s.name === b.stage));
}

export function taskDir(workspaceRoot: string, stage: StageName, key: string): string {
  return stageDir(workspaceRoot, stage, key);
}
