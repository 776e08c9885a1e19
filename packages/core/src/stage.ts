/**
 * What every pipeline stage declares, and where its artifacts live.
 *
 * Artifacts are content-addressed: a stage's output directory is
 *   artifacts/<stage>/<key>/
 * with key = first 16 hex digits of sha256(canonical {stage, version, config, upstream keys}).
 * Two experiments whose resolved dataset sections are equal therefore share one dataset, and two
 * that also share the train section share one training run: Nx computes each once.
 */
import { join } from 'node:path';
import type { z } from 'zod';
import { hashJson } from './canonical.ts';

export type StageName = 'dataset' | 'train' | 'circuits' | 'llc' | 'report';

export interface StageDef<S extends z.ZodType = z.ZodType> {
  name: StageName;
  /** version of the stage's outputs; bump it when the same config would produce different files */
  version: string;
  summary: string;
  /** the stage's config section schema (the single source of truth for its config) */
  schema: S;
  /** stages whose artifacts this stage reads */
  upstream: StageName[];
}

export function stageKey(def: StageDef, config: unknown, upstreamKeys: Record<string, string>): string {
  return hashJson({ stage: def.name, version: def.version, config, upstream: upstreamKeys }).slice(0, 16);
}

export const ARTIFACTS_DIR = 'artifacts';

export function stageDir(workspaceRoot: string, stage: StageName, key: string): string {
  return join(workspaceRoot, ARTIFACTS_DIR, stage, key);
}
