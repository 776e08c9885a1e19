/**
 * What every command module shares: the Command shape, the stage commands' options and the
 * parts a stage command is built from. Commands import these from here, never from main.ts.
 */
import type { CommandSpec, GlobalOption, ParsedArgs } from '@sortscope/core/cli-args';
import type { StageRunner } from '@sortscope/workspace';
import { availableParallelism } from 'node:os';
import type { ZodType } from 'zod';

export interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs, workspaceRoot: string): Promise<number>;
}

export const STAGE_GLOBALS: GlobalOption[] = [
  { name: 'config', type: 'string', value: 'FILE', description: 'experiment file (e.g. experiments/baseline.json); without it every field takes its default' },
  { name: 'out-dir', type: 'string', value: 'DIR', description: 'write here instead of artifacts/<stage>/<key>/' },
  { name: 'expect-key', type: 'string', value: 'KEY', description: 'fail unless the resolved config has this key (used by the Nx targets)' },
  { name: 'json', type: 'boolean', description: 'print a JSON summary to stdout' },
  { name: 'quiet', type: 'boolean', description: 'no progress or log lines on stderr' },
  {
    name: 'fresh',
    type: 'boolean',
    description: "recompute although the output folder holds this key's finished result (kept until the new one is complete), and ignore any saved partial run [default: reuse it; also SORTSCOPE_FRESH=1]",
  },
];

export const BACKEND_OPTION: GlobalOption = {
  name: 'backend',
  type: 'string',
  value: 'NAME',
  description: 'compute backend: auto (tfjs-node where installed, else wasm), tfjs-node or wasm [default: $SORTSCOPE_BACKEND or auto]',
  choices: ['auto', 'tfjs-node', 'wasm'],
};

export const ENGINE_OPTION: GlobalOption = {
  name: 'engine',
  type: 'string',
  value: 'NAME',
  description: 'compute engine: auto (fused WebAssembly where it supports the model, else tfjs), fused or tfjs [default: $SORTSCOPE_ENGINE or auto]',
  choices: ['auto', 'fused', 'tfjs'],
};

/** The most worker threads a --workers flag takes: more than the cores only slows a run down (and 64 wasm workers exhaust memory). */
export const MAX_WORKERS = Math.max(4, availableParallelism());

/** What a stage's command needs besides its name and summary; `runner` imports the stage's code. */
export interface StageParts {
  schema: ZodType;
  /** options beyond STAGE_GLOBALS (runtime choices, not part of the config) */
  globals?: GlobalOption[];
  notes?: string[];
  runner(): Promise<StageRunner>;
}
