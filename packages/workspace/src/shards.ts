/**
 * Splitting a study across machines. Experiments that share a training run (same train key) go to
 * the same shard, so no run is computed twice; groups are assigned largest first to the least
 * loaded shard (ties: lowest index), so shards are balanced and the assignment is deterministic.
 * Each shard's task is `nx run-many -t analyze --projects=<its experiments>`; with a shared remote
 * cache, whatever another shard computed is a cache hit.
 */
import type { Experiment } from './experiment.ts';
import { experimentProjectName } from './nx-plugin.ts';
import { experimentKeys } from './plan.ts';

export function assignShards(experiments: Experiment[], shards: number): string[][] {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`);
  const groups = new Map<string, string[]>();
  for (const e of [...experiments].sort((a, b) => a.name.localeCompare(b.name))) {
    const key = experimentKeys(e.config).train.key;
    groups.set(key, [...(groups.get(key) ?? []), experimentProjectName(e.name)]);
  }
  const ordered = [...groups.values()].sort((a, b) => b.length - a.length || a[0].localeCompare(b[0]));
  const out: string[][] = Array.from({ length: shards }, () => []);
  for (const g of ordered) {
    const i = out.reduce((best, s, k) => (s.length < out[best].length ? k : best), 0);
    out[i].push(...g);
  }
  return out;
}
