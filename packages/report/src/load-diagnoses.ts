/**
 * The estimator checks a study's report draws (chart-diagnose.ts): JSON files written by
 * `sortscope llc diagnose --sweep --out FILE`, named in the report options (`diagnoses`), read and
 * checked here. A file that is missing, not JSON, or without sweeps is refused with its path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ArtifactError } from '@sortscope/core';
import { z } from 'zod';

const Point = z.object({ value: z.number(), mean: z.number(), se: z.number().nullable().optional(), draws: z.number().nullable().optional(), converged: z.boolean(), flagged_chains: z.number(), flags: z.array(z.string()) });
const DiagnoseFile = z.object({
  where: z.string(),
  estimate: z.object({ mean: z.number(), se: z.number().nullable().optional() }),
  sweeps: z.object({ gamma: z.array(Point), epsilon_fraction: z.array(Point), nbeta: z.array(Point), nbeta_fixed_resolution: z.array(Point), length: z.array(Point), restricted: z.array(z.object({ target: z.string(), mean: z.number(), se: z.number().nullable().optional(), below_full: z.boolean() })) }),
});

export interface DiagnosisPoint {
  sweep: 'gamma' | 'epsilon_fraction' | 'nbeta' | 'nbeta_fixed_resolution' | 'length';
  series: string;
  value: number;
  mean: number;
  se: number | null;
  lo: number;
  hi: number;
  draws: number | null;
  readable: boolean;
  flags: string;
}

export interface DiagnosisModel {
  label: string;
  file: string;
  mean: number;
  points: DiagnosisPoint[];
  restricted: { target: string; mean: number; below_full: boolean }[];
}

export type DiagnosisRef = string | { file: string; label?: string };

const SERIES: Record<DiagnosisPoint['sweep'], string> = { gamma: 'γ', epsilon_fraction: 'ε', nbeta: 'at fixed γ', nbeta_fixed_resolution: 'at fixed γ/nβ', length: 'length' };

/** Read and check the diagnoses, paths relative to `root`. */
export function loadDiagnoses(refs: DiagnosisRef[], root: string): DiagnosisModel[] {
  return refs.map((ref) => {
    const { file, label } = typeof ref === 'string' ? { file: ref, label: undefined } : ref;
    const path = resolve(root, file);
    if (!existsSync(path)) throw new ArtifactError(`report.diagnoses: ${file} does not exist; write it with: npx sortscope llc diagnose --sweep --out ${file}`);
    let parsed: z.output<typeof DiagnoseFile>;
    try {
      parsed = DiagnoseFile.parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch (err) {
      const why = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).slice(0, 3).join('; ') : (err as Error).message;
      throw new ArtifactError(`report.diagnoses: ${file} is not the JSON of \`llc diagnose --sweep --out\` (${why})`);
    }
    const points: DiagnosisPoint[] = (['gamma', 'epsilon_fraction', 'nbeta', 'nbeta_fixed_resolution', 'length'] as const).flatMap((sweep) =>
      parsed.sweeps[sweep].map((p) => {
        const se = p.se ?? null;
        const half = se !== null && Number.isFinite(se) ? 2 * se : 0;
        return { sweep, series: SERIES[sweep], value: p.value, mean: p.mean, se, lo: p.mean - half, hi: p.mean + half, draws: p.draws ?? null, readable: p.converged && p.flagged_chains === 0, flags: p.flags.filter((f) => f !== 'acceptance_high').join(', ') || 'none' };
      }),
    );
    return { label: label ?? parsed.where, file, mean: parsed.estimate.mean, points, restricted: parsed.sweeps.restricted.map((r) => ({ target: r.target, mean: r.mean, below_full: r.below_full })) };
  });
}
