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
import { loadExperiment } from '@sortscope/workspace/experiment';
import { experimentKeys, STAGES } from '@sortscope/workspace/plan';
import { compactProblems } from './compact-schema.ts';
import type { CompactExperiment, CompactStudy } from './data.ts';

export const resultsFile = (root: string, study: string) => join(root, 'docs', 'findings', `${study}.json`);

/** Each experiment of the study and the stage keys its config gives today (name → stage → key). */
export function plannedKeys(root: string, study: string): Map<string, Record<string, string>> {
  return new Map(
    studyRefs(root, study).map((ref) => {
      const e = loadExperiment(ref, root);
      const k = experimentKeys(e.config);
      return [e.name, Object.fromEntries(STAGES.map((s) => [s.name, k[s.name].key]))];
    }),
  );
}

/** an experiment is complete when all four stages' results are in it */
export const isComplete = (e: CompactExperiment) => STAGES.every((s) => e.stages?.includes(s.name));

/**
 * `--save` across sessions: the artifacts here win for the experiments they hold (unless a
 * committed entry is complete and theirs is not); committed entries of other experiments are kept
 * only when their stage keys are still the ones the study's config gives (else their numbers came
 * from another config and are dropped, with a line in `dropped`). Order: the study's.
 */
export function mergeCompact(committed: CompactStudy | null, fresh: CompactStudy, planned: Map<string, Record<string, string>>): { merged: CompactStudy; kept: string[]; dropped: string[] } {
  const byName = new Map(fresh.experiments.map((e) => [e.experiment, e]));
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const old of committed?.experiments ?? []) {
    const plan = planned.get(old.experiment);
    const current = plan !== undefined && old.keys !== undefined && Object.entries(old.keys).every(([s, k]) => plan[s] === k);
    if (!current) {
      if (!byName.has(old.experiment)) dropped.push(`${old.experiment}: ${plan === undefined ? 'no longer in the study' : 'its stage keys differ from the config now'}`);
      continue;
    }
    const mine = byName.get(old.experiment);
    if (!mine || (isComplete(old) && !isComplete(mine))) {
      byName.set(old.experiment, old);
      kept.push(old.experiment);
    }
  }
  const order = [...planned.keys()];
  const experiments = [...byName.values()].sort((a, b) => order.indexOf(a.experiment) - order.indexOf(b.experiment));
  return { merged: { ...fresh, experiments }, kept, dropped };
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
      return keys && (!e.keys || Object.entries(keys).some(([s, k]) => e.keys![s] !== undefined && e.keys![s] !== k));
    })
    .map((e) => e.experiment);
}

/** The study's experiments that the compact results do not hold complete and with today's keys. */
export function missingExperiments(data: CompactStudy | null, planned: Map<string, Record<string, string>>): string[] {
  const have = new Map((data?.experiments ?? []).map((e) => [e.experiment, e]));
  return [...planned].filter(([name, keys]) => {
    const e = have.get(name);
    return !e || !isComplete(e) || !e.keys || Object.entries(keys).some(([s, k]) => e.keys![s] !== k);
  }).map(([name]) => name);
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
