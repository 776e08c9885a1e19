/** Experiment files: every `*.json` under experiments/ (sub-folders included), sorted. */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EXPERIMENTS_DIR } from './experiment.ts';

export function findExperimentFiles(workspaceRoot: string): string[] {
  const top = join(workspaceRoot, EXPERIMENTS_DIR);
  if (!existsSync(top)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (isExperimentFile(e.name)) out.push(relative(workspaceRoot, p));
    }
  };
  walk(top);
  return out.sort();
}

export function isExperimentFile(name: string): boolean {
  return name.endsWith('.json') && !name.endsWith('.schema.json') && !name.endsWith('.sweep.json');
}
