/**
 * The circuits stage command: `sortscope circuits` on a training run, or `--weights FILE` for one
 * checkpoint, whose result goes to stdout (the head lines, or with --json the JSON) while the log
 * line goes to stderr, as for `eval` and `llc --weights`.
 */
import type { CheckpointAnalysis, CircuitsConfig } from '@sortscope/circuits';
import { CircuitsConfigSchema } from '@sortscope/circuits/schema';
import { BACKEND_OPTION, ENGINE_OPTION, MAX_WORKERS, type StageParts } from './command.ts';

export const circuitsParts: StageParts = {
  schema: CircuitsConfigSchema,
  globals: [
    { name: 'weights', type: 'string', value: 'FILE', description: 'analyse this TransformerLens safetensors file instead of a training run (prints the measures; with --json as JSON)' },
    { name: 'data', type: 'string', value: 'FILE', description: 'with --weights: validation sequences for ablations and attention (.arrow split or .u8 rows) [default: fresh clean sequences]' },
    { name: 'workers', type: 'number', value: 'N', description: 'worker threads over checkpoints (0: this thread) [default: 0 below 8 checkpoints, else min(cores, 4)]', integer: { min: 0, max: MAX_WORKERS } },
    ENGINE_OPTION,
    BACKEND_OPTION,
  ],
  async runner() {
    const { circuitsOfWeights, circuitsStage, headLines, runCircuitsStage } = await import('@sortscope/circuits');
    const { log } = await import('@sortscope/core/progress');
    const { paramLayout } = await import('@sortscope/model');
    return {
      def: circuitsStage,
      async run(ctx) {
        const o = ctx.options;
        const config = ctx.config as CircuitsConfig;
        if (o.weights) {
          // quiet: circuitsOfWeights logs its head lines to stderr; here they are the result, for stdout
          const summary = await circuitsOfWeights(config, { weightsPath: String(o.weights), dataPath: o.data as string | undefined, quiet: true, backend: o.backend as string | undefined });
          log(`circuits: ${summary.weights} (${paramLayout(summary.model).size} parameters) on ${summary.data}${summary.engine ? `, engine ${summary.engine}` : ''}, ${summary.seconds.toFixed(1)} s`, ctx.quiet);
          if (!o.json) for (const line of headLines(fromJson(summary))) process.stdout.write(`${line}\n`);
          return { files: {}, summary };
        }
        return runCircuitsStage(config, {
          outDir: ctx.outDir,
          trainDir: ctx.upstreamDirs.train!,
          datasetDir: ctx.upstreamDirs.dataset!,
          quiet: ctx.quiet,
          backend: o.backend as string | undefined,
          workers: o.workers as number | undefined,
        });
      },
    };
  },
};

/** The analysis that headLines reads, back from its JSON summary (where null stands for NaN). */
function fromJson(summary: { measures: unknown[]; specialisation: unknown[]; attention: unknown[] }): CheckpointAnalysis {
  const nan = (v: unknown): unknown => (v === null ? NaN : Array.isArray(v) ? v.map(nan) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, nan(x)])) : v);
  return nan({ matrices: [], measures: summary.measures, specialisation: summary.specialisation, attention: summary.attention }) as CheckpointAnalysis;
}
