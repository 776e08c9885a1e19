/** The circuits stage runner: `sortscope circuits` on a training run, or `--weights FILE` for one checkpoint. */
import { type CircuitsConfig, circuitsOfWeights, circuitsStage, runCircuitsStage } from '@sortscope/circuits';
import { BACKEND_OPTION, ENGINE_OPTION, type StageRunner } from './stage-command.ts';

export const circuitsRunner: StageRunner = {
  def: circuitsStage,
  globals: [
    { name: 'weights', type: 'string', value: 'FILE', description: 'analyse this TransformerLens safetensors file instead of a training run (prints the measures; with --json as JSON)' },
    { name: 'data', type: 'string', value: 'FILE', description: 'with --weights: validation sequences for ablations and attention (.arrow split or .u8 rows) [default: fresh clean sequences]' },
    { name: 'workers', type: 'number', value: 'N', description: 'worker threads over checkpoints (0: this thread) [default: 0 below 8 checkpoints, else min(cores, 4)]' },
    ENGINE_OPTION,
    BACKEND_OPTION,
  ],
  async run(ctx) {
    const o = ctx.options;
    const config = ctx.config as CircuitsConfig;
    if (o.weights) {
      const summary = await circuitsOfWeights(config, { weightsPath: String(o.weights), dataPath: o.data as string | undefined, quiet: ctx.quiet, backend: o.backend as string | undefined });
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
