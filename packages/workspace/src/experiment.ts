/**
 * An experiment file (`experiments/<name>.json`) holds one section per pipeline stage; each
 * section is validated by that stage's own schema (defaults live there). The file is strict:
 * an unknown key anywhere fails with its path, its value and what was expected.
 * Refs inside the code are relative to the workspace root; a --config path is relative to the
 * current folder (configRefFromCwd). Study names are plain folder names (checkStudyName).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { deepMerge, isPlainObject, nearest, parseSection, readJsonFile } from '@sortscope/core/config';
import { ConfigError } from '@sortscope/core/errors';
import type { StageName } from '@sortscope/core/stage';
import { CircuitsConfigSchema } from '@sortscope/circuits/schema';
import { DatasetConfigSchema } from '@sortscope/dataset/schema';
import { LlcConfigSchema } from '@sortscope/llc/schema';
import { TrainConfigSchema } from '@sortscope/train/schema';
import { z } from 'zod';
import { isSweepFile, loadSweep, splitRef } from './sweep.ts';

export const ExperimentSchema = z
  .object({
    $schema: z.string().optional().describe('path of the JSON Schema, for editors'),
    description: z.string().default('').describe('what this experiment is for'),
    dataset: DatasetConfigSchema.prefault({}),
    train: TrainConfigSchema.prefault({}),
    circuits: CircuitsConfigSchema.prefault({}),
    llc: LlcConfigSchema.prefault({}),
  })
  .strict();

export type ExperimentConfig = z.output<typeof ExperimentSchema>;

export interface Experiment {
  /** e.g. "baseline", or "noise/permute-p0.5" for a file in a subfolder */
  name: string;
  /** path relative to the workspace root, or '(defaults)' */
  file: string;
  config: ExperimentConfig;
}

export const EXPERIMENTS_DIR = 'experiments';
/** The default study: the experiments under experiments/. Other studies live in studies/<name>/. */
export { DEFAULT_STUDY } from './defaults.ts';
import { DEFAULT_STUDY } from './defaults.ts';

export function studyDir(study: string): string {
  checkStudyName(study, 'study');
  return study === DEFAULT_STUDY ? EXPERIMENTS_DIR : join('studies', study);
}

/** Where a study's report goes: artifacts/report/ for the default study, artifacts/report-<study>/ otherwise. */
export function reportDir(study: string): string {
  return study === DEFAULT_STUDY ? join('artifacts', 'report') : join('artifacts', `report-${study}`);
}

/** The study selected by SORTSCOPE_STUDY (default: quick). */
export function currentStudy(): string {
  return checkStudyName(process.env.SORTSCOPE_STUDY ?? DEFAULT_STUDY, 'SORTSCOPE_STUDY');
}

/** The studies of a workspace: the default one (experiments/) and every folder of studies/. */
export function studyNames(workspaceRoot: string): string[] {
  const dir = join(workspaceRoot, 'studies');
  const folders = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && STUDY_NAME.test(e.name)).map((e) => e.name) : [];
  return [DEFAULT_STUDY, ...folders.sort()];
}

/** A plain folder name: no `.`/`..`, no / or \, nothing hidden. */
const STUDY_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Refuse a study name that is not a plain folder name (`..`, `a/b`, …), listing the studies. `source` names where it came from. */
export function checkStudyName(study: string, source: string, workspaceRoot = findWorkspaceRoot()): string {
  if (STUDY_NAME.test(study)) return study;
  throw new ConfigError(`${source}: got ${JSON.stringify(study)}; expected a study name, a plain folder name under studies/ (letters, digits, . _ -; not . or ..): one of ${studyNames(workspaceRoot).join(', ')}`);
}

/** A study that exists in the workspace: a valid name, and its folder is there. */
export function requireStudy(study: string, source: string, workspaceRoot: string): string {
  checkStudyName(study, source, workspaceRoot);
  const names = studyNames(workspaceRoot);
  if (!names.includes(study)) {
    const near = nearest(study, names);
    throw new ConfigError(`${source}: no study ${JSON.stringify(study)} (no folder studies/${study}/)${near ? `; did you mean ${JSON.stringify(near)}?` : '.'} Expected one of ${names.join(', ')}`);
  }
  return study;
}

/** The nearest ancestor of `from` that holds nx.json (the workspace root), else `from`. */
export function findWorkspaceRoot(from = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}

/**
 * The experiment's name: its path under its study folder (experiments/ or studies/<study>/)
 * without `.json` / `.sweep.json`, plus `/<member>` for a sweep member (`file.sweep.json#member`).
 */
export function experimentName(ref: string, workspaceRoot: string): string {
  const { file, member } = splitRef(ref);
  const rel = relative(workspaceRoot, resolve(workspaceRoot, file)).split(sep).join('/');
  const m = /^(?:experiments|studies\/[^/]+)\/(.*)$/.exec(rel);
  const stem = (m ? m[1] : basename(file)).replace(/\.sweep\.json$|\.json$/, '');
  return member === undefined ? stem : `${stem}/${member}`;
}

/**
 * Load and validate an experiment, with optional flag overrides for one stage's section
 * (defaults < file < flags). Without a file, every section takes its defaults.
 */
export function loadExperiment(file: string | undefined, workspaceRoot: string, overrides?: { stage: StageName; values: Record<string, unknown> }): Experiment {
  const raw = file === undefined ? {} : readRaw(file, workspaceRoot);
  if (!isPlainObject(raw)) throw new ConfigError(`${file}: expected a JSON object with one section per stage, got ${JSON.stringify(raw)?.slice(0, 40)}`);
  const hasFlags = overrides && Object.keys(overrides.values).length > 0;
  const merged = hasFlags ? { ...raw, [overrides.stage]: deepMerge(raw[overrides.stage] ?? {}, overrides.values) } : raw;
  const source = `${file ?? '(defaults)'}${hasFlags ? ' + flags' : ''}`;
  const config = parseSection(ExperimentSchema, merged, { source });
  const rel = file === undefined ? '(defaults)' : relativeRef(file, workspaceRoot);
  return { name: file === undefined ? 'default' : experimentName(file, workspaceRoot), file: rel, config };
}

/** A file path or `sweep.json#member`, relative to the workspace root. */
export function relativeRef(ref: string, workspaceRoot: string): string {
  const { file, member } = splitRef(ref);
  const rel = relative(workspaceRoot, resolve(workspaceRoot, file)).split(sep).join('/');
  return member === undefined ? rel : `${rel}#${member}`;
}

/**
 * A --config value as typed, resolved from the current folder like every path on the command line,
 * as a ref relative to the workspace root (absolute when outside it). Refuses a missing file.
 */
export function configRefFromCwd(typed: string, workspaceRoot: string, cwd = process.cwd()): string {
  const { file, member } = splitRef(typed);
  const abs = resolve(cwd, file);
  if (!existsSync(abs)) throw new ConfigError(`--config ${typed}: no such file ${abs} (paths on the command line are relative to the current folder, ${cwd})`);
  if (!statSync(abs).isFile()) throw new ConfigError(`--config ${typed}: ${abs} is not a file; expected an experiment file (.json)`);
  const rel = relative(workspaceRoot, abs);
  const ref = rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? abs : rel.split(sep).join('/');
  return member === undefined ? ref : `${ref}#${member}`;
}

function readRaw(ref: string, workspaceRoot: string): unknown {
  const { file, member } = splitRef(ref);
  const path = resolve(workspaceRoot, file);
  if (member === undefined) {
    if (isSweepFile(file)) throw new ConfigError(`${file} is a sweep; name one of its members: --config ${file}#<member> (see 'sortscope plan ${file}')`);
    return readJsonFile(path);
  }
  const members = loadSweep(path);
  const found = members.find((m) => m.name === member);
  if (!found) throw new ConfigError(`${file} has no member '${member}'; expected one of ${members.map((m) => m.name).join(', ')}`);
  return found.raw;
}
