/**
 * Engine selection: the fused WebAssembly engine (fused/engine.ts) wherever it supports the
 * model, else the tfjs engine (tfjs/engine.ts, the reference). Overridable with
 * SORTSCOPE_ENGINE (or the CLI's --engine, which sets it): `auto` | `fused` | `tfjs`. The chosen
 * engine's `name` ('fused-wasm', 'tfjs-wasm', 'tfjs-node') is what artifacts record.
 */
import { ConfigError } from '@sortscope/core';
import type { Engine } from './engine.ts';
import { FusedEngine, fusedSupports } from './fused/engine.ts';
import type { ModelConfig } from '@sortscope/model';
import { backendChoice, initBackend } from './tfjs/backend.ts';
import { TfjsEngine } from './tfjs/engine.ts';

export type EngineChoice = 'auto' | 'fused' | 'tfjs';

export function engineChoice(flag?: string): EngineChoice {
  const v = flag ?? process.env.SORTSCOPE_ENGINE ?? 'auto';
  if (v === 'auto' || v === 'fused' || v === 'tfjs') return v;
  throw new ConfigError(`engine: got ${JSON.stringify(v)}; expected one of "auto", "fused", "tfjs" (SORTSCOPE_ENGINE or --engine)`);
}

export interface EngineOptions {
  /** auto | fused | tfjs [default: $SORTSCOPE_ENGINE or auto] */
  engine?: string;
  /** tfjs backend: auto | tfjs-node | wasm */
  backend?: string;
  /** fused engine threads [default: the available cores, at most 8]; 1 inside worker threads */
  threads?: number;
}

/** Whether `createEngine` would use the fused engine for this model. */
export function usesFused(cfg: ModelConfig, engine?: string, backend?: string): boolean {
  const choice = engineChoice(engine);
  backendChoice(backend); // a bad backend is refused even where the fused engine does not use one
  if (choice === 'fused' && !fusedSupports(cfg)) throw new ConfigError('engine fused was requested but does not support this model; use --engine tfjs (or auto)');
  return choice !== 'tfjs' && fusedSupports(cfg);
}

/** The name createEngine's engine would have (without building it): what artifacts record. */
export async function engineName(cfg: ModelConfig, opts: EngineOptions = {}): Promise<string> {
  return usesFused(cfg, opts.engine, opts.backend) ? 'fused-wasm' : initBackend(opts.backend);
}

export async function createEngine(cfg: ModelConfig, opts: EngineOptions = {}): Promise<Engine> {
  return usesFused(cfg, opts.engine, opts.backend) ? FusedEngine.create(cfg, { threads: opts.threads }) : TfjsEngine.create(cfg, { backend: opts.backend });
}
