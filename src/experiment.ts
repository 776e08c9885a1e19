/**
 * An experiment file (`experiments/<name>.json`) holds one section per pipeline stage; each
 * section is validated by that stage's own schema (defaults live there). The file is strict:
 * an unknown key anywhere fails with its path, its value and what was expected.
 */
import { basename, relative, resolve, sep } from 'node:path';
import { ConfigError, deepMerge, isPlainObject, parseSection, readJsonFile, type StageName } from '@sortscope/core';
import { CircuitsConfigSchema } from '@sortscope/circuits';
import { DatasetConfigSchema } from '@sortscope/dataset';
import { LlcConfigSchema } from '@sortscope/llc';
import { TrainConfigSchema } from '@sortscope/train';
import { z } from 'zod';

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

/** The experiment's name: its path under experiments/ without `.json`. */
export function experimentName(file: string, workspaceRoot: string): string {
  const rel = relative(resolve(workspaceRoot, EXPERIMENTS_DIR), resolve(workspaceRoot, file));
  const name = rel.startsWith('..') ? basename(file) : rel;
  return name.replace(/\.json$/, '').split(sep).join('/');
}

/**
 * Load and validate an experiment, with optional flag overrides for one stage's section
 * (defaults < file < flags). Without a file, every section takes its defaults.
 */
export function loadExperiment(file: string | undefined, workspaceRoot: string, overrides?: { stage: StageName; values: Record<string, unknown> }): Experiment {
  const raw = file === undefined ? {} : readJsonFile(resolve(workspaceRoot, file));
  if (!isPlainObject(raw)) throw new ConfigError(`${file}: expected a JSON object with one section per stage, got ${JSON.stringify(raw)?.slice(0, 40)}`);
  const hasFlags = overrides && Object.keys(overrides.values).length > 0;
  const merged = hasFlags ? { ...raw, [overrides.stage]: deepMerge(raw[overrides.stage] ?? {}, overrides.values) } : raw;
  const source = `${file ?? '(defaults)'}${hasFlags ? ' + flags' : ''}`;
  const config = parseSection(ExperimentSchema, merged, { source });
  const rel = file === undefined ? '(defaults)' : relative(workspaceRoot, resolve(workspaceRoot, file));
  return { name: file === undefined ? 'default' : experimentName(file, workspaceRoot), file: rel, config };
}
