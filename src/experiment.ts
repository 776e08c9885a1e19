/**
 * An experiment file (`experiments/<name>.json`) holds one section per pipeline stage; each
 * section is validated by that stage's own schema (defaults live there). The file is strict:
 * an unknown key anywhere fails with its path, its value and what was expected.
 */
import { basename, join, relative, resolve, sep } from 'node:path';
import { ConfigError, deepMerge, isPlainObject, parseSection, readJsonFile, type StageName } from '@sortscope/core';
import { CircuitsConfigSchema } from '@sortscope/circuits';
import { DatasetConfigSchema } from '@sortscope/dataset';
import { LlcConfigSchema } from '@sortscope/llc';
import { TrainConfigSchema } from '@sortscope/train';
import { z } from 'zod';
import { isSweepFile, loadSweep } from './sweep.ts';

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
export const DEFAULT_STUDY = 'quick';

export function studyDir(study: string): string {
  return study === DEFAULT_STUDY ? EXPERIMENTS_DIR : join('studies', study);
}

/** Where a study's report goes: artifacts/report/ for the default study, artifacts/report-<study>/ otherwise. */
export function reportDir(study: string): string {
  return study === DEFAULT_STUDY ? join('artifacts', 'report') : join('artifacts', `report-${study}`);
}

/** The study selected by SORTSCOPE_STUDY (default: quick). */
export function currentStudy(): string {
  const s = process.env.SORTSCOPE_STUDY ?? DEFAULT_STUDY;
  if (!/^[A-Za-z0-9._-]+$/.test(s)) throw new ConfigError(`SORTSCOPE_STUDY: got ${JSON.stringify(s)}; expected a study name (letters, digits, . _ -)`);
  return s;
}

/**
 * The experiment's name: its path under its study folder (experiments/ or studies/<study>/)
 * without `.json` / `.sweep.json`, plus `/<member>` for a sweep member (`file.sweep.json#member`).
 */
export function experimentName(ref: string, workspaceRoot: string): string {
  const [file, member] = ref.split('#');
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
  const [file, member] = ref.split('#');
  const rel = relative(workspaceRoot, resolve(workspaceRoot, file)).split(sep).join('/');
  return member === undefined ? rel : `${rel}#${member}`;
}

function readRaw(ref: string, workspaceRoot: string): unknown {
  const [file, member] = ref.split('#');
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
