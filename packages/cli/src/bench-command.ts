/**
 * `sortscope bench`: milliseconds per step of every available engine, measured in one process,
 * interleaved rep by rep so that load from other processes hits them alike (the machine is
 * shared): a training step (loss + gradient + Adam), an SGLD step (the llc stage's own update),
 * four SGLD chains stepped together (per chain), the gradient alone and a forward pass, at each
 * batch size, with each engine's ratio to the best and the tfjs engine's time over this engine's
 * (packages/engine/src/fused/bench.ts). Then:
 *   --torch PYTHON  the same steps in PyTorch (packages/engine/bench/torch_reference.py) with that
 *                   interpreter, in a child process right after ours, and PyTorch's time over ours
 *   --chains N[,N…] SGLD chain-steps per second through the llc stage's worker pool (bench-chains.ts), per chain count
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { ConfigError } from '@sortscope/core/errors';
import type { NoiseStream } from '@sortscope/llc';
import type { Command } from './command.ts';

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
    summary: 'Milliseconds per training step, SGLD step, gradient and forward pass for every available engine (and PyTorch, with --torch).',
    globals: [
      { name: 'batch', type: 'string', value: 'LIST', description: 'batch sizes, comma-separated [default: 64,512]' },
      { name: 'reps', type: 'number', value: 'N', description: 'timed repetitions per measurement, at least 10 (median reported) [default: 15]' },
      { name: 'weights', type: 'string', value: 'init|arena', description: "initial weights (seed 0) or the ARENA fixture's trained weights [default: init]" },
      { name: 'engines', type: 'string', value: 'LIST', description: 'engines to measure [default: fused-wasm×2,fused-wasm×1,tfjs-wasm]' },
      { name: 'torch', type: 'string', value: 'PYTHON', description: 'also run the PyTorch reference with this Python interpreter (it needs torch) and print PyTorch/ours' },
      { name: 'torch-scored-only', type: 'boolean', description: "PyTorch computes the last layer only at the scored positions, as our engines do (default: at every position, as a user's model does)" },
      { name: 'chains', type: 'string', value: 'N[,N…]', description: 'SGLD chain-steps per second of N chains × 200 draws at batch 64 through the llc stage, with each noise stream, for each N given (e.g. 4,8,16; ARENA checkpoint; 0: skip) [default: 0]' },
    ],
    notes: [
      'Reference (packages/engine/src/fused/README.md, "Against PyTorch"; same 2-core machine class): PyTorch 2.13 CPU 6.8–7.2 ms (batch 64), 31.6–34.6 ms (batch 512) per training step; devinterp 11.8 ms per SGLD step at batch 64.',
    ],
  },
  async run(args) {
    const batches = String(args.globals.batch ?? '64,512').split(',').map(Number);
    if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new ConfigError(`--batch: got ${JSON.stringify(args.globals.batch)}; expected comma-separated positive integers`);
    const weights = (args.globals.weights as string | undefined) ?? 'init';
    if (weights !== 'init' && weights !== 'arena') throw new ConfigError(`--weights: got ${JSON.stringify(weights)}; expected init or arena`);
    const engines = args.globals.engines === undefined ? undefined : String(args.globals.engines).split(',').map((e) => e.replace('x', '×'));
    const reps = (args.globals.reps as number | undefined) ?? 15;
    const chainsArg = String(args.globals.chains ?? '0');
    const chainCounts = chainsArg.split(',').map(Number);
    if (chainCounts.some((n) => !Number.isInteger(n) || n < 0)) throw new ConfigError(`--chains: got ${chainsArg}; expected non-negative integers, e.g. 8 or 4,8,16`);
    const python = args.globals.torch as string | undefined;
    const out = (l: string) => process.stdout.write(`${l}\n`);
    if (python) (await import('@sortscope/engine/torch-reference')).checkTorch(python); // before minutes of benchmarking
    const { BENCH_SGLD, runBench } = await import('@sortscope/engine/bench');
    const { chainBuffers, chainStep } = await import('@sortscope/llc/chain-step');
    // the llc stage's SGLD update (one pass: drift, norms, step), as in every chain, with each noise stream
    const stageStep = (noise_stream: NoiseStream) => {
      const p = { ...BENCH_SGLD, noise_stream };
      let buf = chainBuffers(0);
      return (w: Float32Array, w0: Float32Array, grad: Float32Array, rng: Parameters<typeof chainStep>[5]) => {
        if (buf.g.length !== w.length) buf = chainBuffers(w.length);
        chainStep(p, w, w0, grad, null, rng, buf, false);
      };
    };
    const ours = await runBench({ batches, reps, weights, engines, sgldStep: stageStep('box-muller'), sgldZigStep: stageStep('ziggurat'), print: out });
    const best = engines?.[0] ?? 'fused-wasm×2';
    if (/^fused-wasm/.test(best)) {
      // the fraction of this machine's WebAssembly SIMD floor (peak.ts, flops.ts) that lossAndGrad reaches
      const { benchFlops, measurePeak } = await import('@sortscope/engine/peak');
      const T = Number(best.split('×')[1] ?? 2);
      const peak = await measurePeak({ threads: [T], relaxed: false, native: false, reps: 5 });
      const gflops = Math.max(...peak.rows.filter((r) => /^mul_add_(8|12|16)$/.test(r.kernel)).map((r) => r.best));
      out(`\nSIMD floor: ${gflops.toFixed(0)} GFLOP/s on ${T} thread(s) (peak.ts, f32x4 mul + add from registers); FLOP of one lossAndGrad from flops.ts`);
      for (const { rows, flops } of benchFlops(batches).filter((f) => f.mode === 'train')) {
        const floor = flops.total / (gflops * 1e6);
        const grad = ours[rows]?.[best]?.grad;
        if (!grad) continue;
        const pct = (100 * floor) / grad;
        // above 100%: the peak was measured while the machine was busier than during the steps
        const busy = pct > 100 ? ' (above 100%: the machine was busier while the peak was measured than during the steps; rerun on an idle machine)' : '';
        out(`  batch ${rows}: ${(flops.total / 1e6).toFixed(1)} MFLOP, floor ${floor.toFixed(2)} ms; ${best} grad ${grad.toFixed(2)} ms = ${pct.toFixed(0)}% of the floor${busy}`);
      }
    }
    if (!tfjsNodeInstalled()) out('\nunavailable: tfjs-node (@tensorflow/tfjs-node did not install: its installer downloads libtensorflow)\n');
    if (python) {
      const { ratioRows, runTorchReference } = await import('@sortscope/engine/torch-reference');
      const scoredOnly = Boolean(args.globals['torch-scored-only']);
      out(`PyTorch reference (${python}, packages/engine/bench/torch_reference.py${scoredOnly ? ' --scored-only' : ''}), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (before)`);
      const { ARENA_DIR } = await import('@sortscope/model/testing');
      // the script first reproduces the ARENA checkpoint's golden loss and accuracy: the times are of the same model
      const torch = await runTorchReference(python, { batches, reps, scoredOnly, check: ARENA_DIR || undefined, onLine: (l) => process.stderr.write(`torch: ${l}\n`) });
      out(`torch ${torch.torch}, python ${torch.python}, ${torch.threads} threads; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (after)\n`);
      const mine = Object.fromEntries(Object.entries(ours).map(([b, byEngine]) => [b, byEngine[best] ?? {}]));
      for (const l of ratioRows(mine, torch, best)) out(l);
    }
    for (const chains of chainCounts.filter((n) => n > 0)) {
      const [{ NOISE_STREAMS }, { benchChains, DEVINTERP_MS_PER_STEP_B64 }] = await Promise.all([import('@sortscope/llc'), import('@sortscope/llc/bench-chains')]);
      const r = await benchChains({ batch: 64, chains, draws: 200, streams: [...NOISE_STREAMS] });
      if (!r) out('chains: skipped (the ARENA fixture is not in this checkout)');
      else {
        const devinterp = 1000 / DEVINTERP_MS_PER_STEP_B64;
        out(`SGLD chains through the llc stage: ${r.chains} chains × ${r.draws} draws at batch ${r.batch} on ${r.workers} workers (devinterp: ${devinterp.toFixed(0)} steps/s)`);
        for (const [stream, s] of Object.entries(r.byStream)) {
          const { median, min, max } = s.stepsPerSecond;
          out(
            `  noise_stream ${stream}: ${s.seconds.length} runs of ${s.seconds.map((x) => x.toFixed(2)).join(' / ')} s: ` +
              `${median.toFixed(0)} chain-steps/s (${min.toFixed(0)}–${max.toFixed(0)}), ${(median / devinterp).toFixed(2)}× devinterp (${(min / devinterp).toFixed(2)}–${(max / devinterp).toFixed(2)}×)`,
          );
        }
      }
    }
    return 0;
  },
};
