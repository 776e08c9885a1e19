/**
 * The committed compact results of a study (docs/findings/<study>.json): where they live, reading
 * them, merging a `--save` into them, and which experiments they lack or hold with stale keys. The
 * light half of `sortscope findings`: no Arrow, engine or report code, so printing from the
 * committed file starts fast (the artifacts' half is results.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArtifactError } from '@sortscope/core/errors';
import { studyRefs } from '@sortscope/workspace/discover';
import { type ExperimentConfig, loadExperiment } from '@sortscope/workspace/experiment';
import { experimentKeys, STAGES } from '@sortscope/workspace/plan';
import { compactProblems } from './compact-schema.ts';
import type { CompactExperiment, CompactStudy } from './data.ts';

export const resultsFile = (root: string, study: string) => join(root, 'docs', 'findings', `${study}.json`);

/**
 * Each experiment's stage keys under given stage versions (`experimentKeys` with `versions`): equal
 * to an entry's recorded keys when only versions changed since, not its config.
 */
export type KeysUnder = (experiment: string, versions: Record<string, string>) => Record<string, string> | undefined;

/**
 * The study's experiments, loaded once: the stage keys each one's config gives today (name → stage →
 * key), and `keysUnder`, the keys it would have under other stage versions.
 */
export function studyKeys(root: string, study: string): { planned: Map<string, Record<string, string>>; keysUnder: KeysUnder } {
  const configs = new Map(studyRefs(root, study).map((ref) => {
    const e = loadExperiment(ref, root);
    return [e.name, e.config] as const;
  }));
  const keysOf = (config: ExperimentConfig, versions?: Record<string, string>) => {
    const k = experimentKeys(config, versions);
    return Object.fromEntries(STAGES.map((s) => [s.name, k[s.name].key]));
  };
  const keysUnder: KeysUnder = (experiment, versions) => {
    const config = configs.get(experiment);
    return config ? keysOf(config, versions) : undefined;
  };
  return { planned: new Map([...configs].map(([name, config]) => [name, keysOf(config)])), keysUnder };
}

/** Each experiment of the study and the stage keys its config gives today (name → stage → key). */
export function plannedKeys(root: string, study: string): Map<string, Record<string, string>> {
  return studyKeys(root, study).planned;
}

/** an experiment is complete when all four stages' results are in it */
export const isComplete = (e: CompactExperiment) => STAGES.every((s) => e.stages?.includes(s.name));

/** the stages whose keys in `e` differ from today's `plan` (a stage absent from `e.keys` counts as differing) */
export function staleStages(e: CompactExperiment, plan: Record<string, string>): string[] {
  return Object.entries(plan)
    .filter(([s, k]) => e.keys?.[s] !== undefined && e.keys[s] !== k)
    .map(([s]) => s);
}

/**
 * `--save` across sessions: the artifacts here win for the experiments they hold (unless a
 * committed entry is complete and theirs is not); committed entries of other experiments are kept
 * only when their stage keys are still the ones the study's config gives (else their numbers came
 * from another config and are dropped, with a line in `dropped`). Order: the study's.
 *
 * One exception keeps a study readable while new stage versions recompute it, which takes many
 * sessions. A committed entry is *held* while the artifacts here do not hold the stages it has under
 * today's keys, when its out-of-date keys are either
 *   - the llc stage's alone (the same data, training and circuits; its llc settings may differ), or
 *   - any stages', where every stage but llc differs by its version only, not its config: the keys
 *     `keysUnder` gives for the entry's recorded `versions` are its keys (a train version that only
 *     changed how the metrics file writes "not applicable" leaves the numbers as they were).
 * It is marked `stale: [the stages whose keys differ]` and keeps its `versions` (absent in entries
 * saved before they were recorded: the llc version the file was last saved under, which the docs
 * name). Readers mark its LLC numbers (claims-table.ts) and compare it only with entries of its
 * vintage (compare.ts); `--missing` lists it apart from the experiments never computed.
 */
export function mergeCompact(
  committed: CompactStudy | null,
  fresh: CompactStudy,
  planned: Map<string, Record<string, string>>,
  keysUnder?: KeysUnder,
): { merged: CompactStudy; kept: string[]; dropped: string[]; staleKept: string[] } {
  const byName = new Map(fresh.experiments.map((e) => [e.experiment, e]));
  const kept: string[] = [];
  const dropped: string[] = [];
  const staleKept: string[] = [];
  for (const old of committed?.experiments ?? []) {
    const plan = planned.get(old.experiment);
    const mine = byName.get(old.experiment);
    const differ = plan !== undefined && old.keys !== undefined ? staleStages(old, plan) : null;
    if (differ === null || differ.length > 0) {
      const hold = plan !== undefined ? holdable(old, plan, keysUnder) : null;
      const covered = mine !== undefined && (old.stages ?? []).every((s) => mine.stages?.includes(s));
      if (hold && !covered) {
        byName.set(old.experiment, { ...old, stale: hold });
        staleKept.push(old.experiment);
        continue;
      }
      if (!mine) dropped.push(`${old.experiment}: ${plan === undefined ? 'no longer in the study' : 'its stage keys differ from the config now'}`);
      continue;
    }
    if (!mine || (isComplete(old) && !isComplete(mine))) {
      byName.set(old.experiment, old);
      kept.push(old.experiment);
    }
  }
  const order = [...planned.keys()];
  const experiments = [...byName.values()].sort((a, b) => order.indexOf(a.experiment) - order.indexOf(b.experiment));
  return { merged: { ...fresh, experiments }, kept, dropped, staleKept };
}

/**
 * The stages whose keys in `old` are out of date, when mergeCompact may hold it until they are
 * recomputed (the llc key alone, or only stage versions changed below llc); else null.
 */
export function holdable(old: CompactExperiment, plan: Record<string, string>, keysUnder?: KeysUnder): string[] | null {
  if (old.keys === undefined) return null;
  const differ = staleStages(old, plan);
  if (differ.length === 0) return null;
  if (differ.length === 1 && differ[0] === 'llc' && old.stages?.includes('llc')) return differ;
  const then = old.versions && keysUnder ? keysUnder(old.experiment, old.versions) : undefined;
  return then !== undefined && differ.every((s) => s === 'llc' || then[s] === old.keys![s]) ? differ : null;
}

/**
 * Experiments the compact results hold but with other stage keys than the study's configs and the
 * stages' versions give today (e.g. computed before an llc version bump): printed, they are not
 * what a rerun would give (`findings` warns; a rerun recomputes them).
 */
export function staleExperiments(data: CompactStudy, planned: Map<string, Record<string, string>>): string[] {
  return data.experiments
    .filter((e) => {
      const keys = planned.get(e.experiment);
      return keys && (!e.keys || staleStages(e, keys).length > 0);
    })
    .map((e) => e.experiment);
}

/**
 * The study's experiments that the compact results do not hold complete and with today's keys: the
 * ones a rerun computes. Those held from earlier stage versions (mergeCompact's `stale`) are among
 * them; `staleHeld` lists those apart.
 */
export function missingExperiments(data: CompactStudy | null, planned: Map<string, Record<string, string>>): string[] {
  const have = new Map((data?.experiments ?? []).map((e) => [e.experiment, e]));
  return [...planned].filter(([name, keys]) => {
    const e = have.get(name);
    return !e || !isComplete(e) || !e.keys || Object.entries(keys).some(([s, k]) => e.keys![s] !== k);
  }).map(([name]) => name);
}

/** How many of `names` each group (the experiment name's first part) has, in order of first appearance: `anneal 6, baseline 35`. */
export function groupCounts(names: Iterable<string>): string {
  const n = new Map<string, number>();
  for (const name of names) {
    const g = name.split('/')[0];
    n.set(g, (n.get(g) ?? 0) + 1);
  }
  return [...n].map(([g, k]) => `${g} ${k}`).join(', ');
}

/** The experiments the compact results hold complete but with out-of-date keys that a save keeps (`holdable`). */
export function staleHeld(data: CompactStudy | null, planned: Map<string, Record<string, string>>, keysUnder?: KeysUnder): string[] {
  return (data?.experiments ?? [])
    .filter((e) => {
      const plan = planned.get(e.experiment);
      return plan !== undefined && isComplete(e) && holdable(e, plan, keysUnder) !== null;
    })
    .map((e) => e.experiment);
}

export function readCompact(path: string): CompactStudy {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ArtifactError(`${path} is not readable JSON (${(err as Error).message}); regenerate it with: npx sortscope findings --study <study> --save`);
  }
  const problems = compactProblems(data);
  if (problems.length) throw new ArtifactError(`${path} is not a compact findings file (written by \`sortscope findings --save\`):\n  ${problems.join('\n  ')}`);
  return data as CompactStudy;
}

/**
 * Differences between two compact studies, as readable lines (empty: they agree). `a` is the
 * committed one. Where its entry was saved by an older COMPACT_FORMAT than `b`'s, the fields that
 * format did not have (absent in `a`) and the format number itself are not compared: every number
 * `a` holds still is.
 */
export function compareCompact(a: CompactStudy, b: CompactStudy, rel = 1e-5): string[] {
  const out: string[] = [];
  let older = false;
  const walk = (x: unknown, y: unknown, path: string) => {
    if (out.length >= 20) return;
    if (older && x === undefined) return;
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
    if (!other) {
      out.push(`${e.experiment}: only in the first`);
      continue;
    }
    older = (e.format ?? 0) < (other.format ?? 0);
    walk(older ? { ...e, format: other.format } : e, other, e.experiment);
  }
  for (const e of b.experiments) if (!a.experiments.some((x) => x.experiment === e.experiment)) out.push(`${e.experiment}: only in the second`);
  return out;
}
