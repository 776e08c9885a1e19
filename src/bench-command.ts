/**
 * `sortscope bench`: milliseconds per step of every available engine, measured in one process,
 * interleaved rep by rep so that load from other processes hits them alike (the machine is
 * shared): a training step (loss + gradient + Adam), an SGLD step, four SGLD chains stepped
 * together (per chain), the gradient alone and a forward pass, at each batch size, with each
 * engine's ratio to the best and the tfjs engine's time over this engine's
 * (packages/train/src/fused/bench.ts).
 */
import { createRequire } from 'node:module';
import { ConfigError } from '@sortscope/core/errors';
import type { Command } from './main.ts';

function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

export const benchCommand: Command = {
  spec: {
    name: 'bench',
    summary: 'Milliseconds per training step, SGLD step, gradient and forward pass for every available engine.',
    globals: [
      { name: 'batch', type: 'string', value: 'LIST', description: 'batch sizes, comma-separated [default: 64,512]' },
      { name: 'reps', type: 'number', value: 'N', description: 'timed repetitions per measurement, at least 10 (median reported) [default: 15]' },
      { name: 'weights', type: 'string', value: 'init|arena', description: "initial weights (seed 0) or the ARENA fixture's trained weights [default: init]" },
      { name: 'engines', type: 'string', value: 'LIST', description: 'engines to measure [default: fused-wasm×2,fused-wasm×1,tfjs-wasm]' },
    ],
    notes: ['Reference (packages/train/src/fused/README.md, "Other implementations"; same 2-core machine class): PyTorch 2.13 CPU 6.8–7.2 ms (batch 64), 31.6–34.6 ms (batch 512) per training step; PyTorch 1.13 + OpenBLAS 11.7 and 95.5 ms.'],
  },
  async run(args) {
    const batches = String(args.globals.batch ?? '64,512').split(',').map(Number);
    if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new ConfigError(`--batch: got ${JSON.stringify(args.globals.batch)}; expected comma-separated positive integers`);
    const weights = (args.globals.weights as string | undefined) ?? 'init';
    if (weights !== 'init' && weights !== 'arena') throw new ConfigError(`--weights: got ${JSON.stringify(weights)}; expected init or arena`);
    const engines = args.globals.engines === undefined ? undefined : String(args.globals.engines).split(',').map((e) => e.replace('x', '×'));
    const { runBench } = await import('@sortscope/train/bench');
    await runBench({ batches, reps: args.globals.reps as number | undefined, weights, engines, print: (l) => process.stdout.write(`${l}\n`) });
    if (!tfjsNodeInstalled()) process.stdout.write('\nunavailable: tfjs-node (@tensorflow/tfjs-node did not install: its installer downloads libtensorflow)\n');
    return 0;
  },
};
