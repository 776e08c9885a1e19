/**
 * The stage folders under artifacts/ that no experiment of any study references (what
 * `sortscope clean` lists).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ARTIFACTS_DIR } from '@sortscope/core';
import { studyRefs } from './discover.ts';
import { loadExperiment, studyNames } from './experiment.ts';
import { experimentKeys } from './plan.ts';

export const STAGE_NAMES = ['dataset', 'train', 'circuits', 'llc'] as const;

/** stage/key of every task any experiment of any study uses */
export async function referencedKeys(root: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const study of studyNames(root)) {
    for (const ref of studyRefs(root, study)) {
      const k = experimentKeys(loadExperiment(ref, root).config);
      for (const s of STAGE_NAMES) keys.add(`${s}/${k[s].key}`);
    }
  }
  return keys;
}

/** Every stage folder under artifacts/ (artifacts/<stage>/<key>), stage by stage, keys sorted. */
export function stageFolders(root: string): string[] {
  return STAGE_NAMES.flatMap((s) => {
    const dir = join(root, ARTIFACTS_DIR, s);
    return existsSync(dir) ? readdirSync(dir).sort().map((key) => join(dir, key)) : [];
  });
}

/** Stage folders under artifacts/ whose key no experiment references. */
export async function orphanedFolders(root: string): Promise<string[]> {
  const used = await referencedKeys(root);
  return stageFolders(root).filter((dir) => !used.has(relative(join(root, ARTIFACTS_DIR), dir).split(sep).join('/')));
}
