/**
 * The experiments of a study: every `*.json` under its folder (experiments/ for the default
 * study, studies/<name>/ for the others; sub-folders included), and every member of every
 * `*.sweep.json` there (as `file.sweep.json#member`), sorted.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { currentStudy, studyDir } from './experiment.ts';
import { isSweepFile, loadSweep } from './sweep.ts';

export function findExperimentFiles(workspaceRoot: string, study = currentStudy()): string[] {
  const top = join(workspaceRoot, studyDir(study));
  if (!existsSync(top)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (isExperimentFile(e.name) || isSweepFile(e.name)) out.push(relative(workspaceRoot, p).split('\\').join('/'));
    }
  };
  walk(top);
  return out.sort();
}

/** Not experiments: JSON Schemas, sweeps (expanded separately) and the study's report options. */
export function isExperimentFile(name: string): boolean {
  return name.endsWith('.json') && !name.endsWith('.schema.json') && !isSweepFile(name) && name !== 'report.json';
}

/** Experiment references of files: plain files as they are, sweeps expanded to `file#member`. */
export function expandRefs(files: readonly string[], workspaceRoot: string): string[] {
  return files.flatMap((f) => (isSweepFile(f) ? loadSweep(resolve(workspaceRoot, f)).map((m) => `${f}#${m.name}`) : [f]));
}

export function studyRefs(workspaceRoot: string, study = currentStudy()): string[] {
  return expandRefs(findExperimentFiles(workspaceRoot, study), workspaceRoot);
}
