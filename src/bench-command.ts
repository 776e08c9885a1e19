/**
 * `sortscope bench`: milliseconds per step of every available engine, measured in the same run.
 * Each backend runs in its own child process (a tfjs backend is process-wide). Per batch size:
 * a training step (loss + gradient + Adam update), gradient only, and a forward pass (loss at the
 * scored positions); medians over `--reps` after two warm-up calls; the ratio column compares each
 * row's training step with the fastest engine at that batch size.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ConfigError } from '@sortscope/core';
import { DatasetConfigSchema, generateDataset } from '@sortscope/dataset';
import { adamState, adamStep, initBackend, initParams, modelConfig, ModelShapeSchema, TfjsEngine } from '@sortscope/train';
import type { Command } from './main.ts';

const BACKENDS = ['wasm', 'tfjs-node'];

interface Row {
  engine: string;
  batch: number;
  train_ms: number;
  grad_ms: number;
  forward_ms: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(backend: string, batches: number[], reps: number): Promise<Row[]> {
  const name = await initBackend(backend);
  const ds = generateDataset(DatasetConfigSchema.parse({ n_train: Math.max(...batches), n_validation: 0, n_test: 0 }));
  const cfg = modelConfig(ModelShapeSchema.parse({}), { d_vocab: ds.vocab.d_vocab, list_length: ds.vocab.n });
  const engine = await TfjsEngine.create(cfg, { backend });
  const params = initParams(cfg, engine.layout, 0);
  const adam = adamState(engine.layout.size);
  const rows: Row[] = [];
  for (const B of batches) {
    const batch = { tokens: ds.splits.train.tokens.subarray(0, B * cfg.n_ctx), rows: B };
    const time = (f: () => void) => {
      f();
      f();
      const ts: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        f();
        ts.push(performance.now() - t0);
      }
      return median(ts);
    };
    const opt = { kind: 'adam' as const, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.005 };
    const train_ms = time(() => adamStep(opt, params, engine.lossAndGrad(params, batch).grad, adam, 1e-3));
    const grad_ms = time(() => engine.lossAndGrad(params, batch));
    const forward_ms = time(() => engine.evaluate(params, batch));
    rows.push({ engine: name, batch: B, train_ms, grad_ms, forward_ms });
  }
  return rows;
}

export const benchCommand: Command = {
  spec: {
    name: 'bench',
    summary: 'Milliseconds per training step, gradient and forward pass for every available engine.',
    globals: [
      { name: 'batch', type: 'string', value: 'LIST', description: 'batch sizes, comma-separated [default: 64,512]' },
      { name: 'reps', type: 'number', value: 'N', description: 'timed repetitions per measurement (median reported) [default: 10]' },
      { name: 'backend', type: 'string', value: 'NAME', description: 'measure only this backend (wasm or tfjs-node) in this process' },
      { name: 'json', type: 'boolean', description: 'print the rows as JSON' },
    ],
    notes: ['Reference (../shared/reference/performance.md, same machine class): PyTorch CPU 11.7 ms (batch 64), 95.5 ms (batch 512) per training step.'],
  },
  async run(args) {
    const batches = String(args.globals.batch ?? '64,512').split(',').map(Number);
    if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new ConfigError(`--batch: got ${JSON.stringify(args.globals.batch)}; expected comma-separated positive integers`);
    const reps = (args.globals.reps as number | undefined) ?? 10;
    const only = args.globals.backend as string | undefined;
    if (only) {
      const rows = await measure(only, batches, reps);
      process.stdout.write(`${JSON.stringify(rows)}\n`);
      return 0;
    }
    const rows: Row[] = [];
    const missing: string[] = [];
    for (const b of BACKENDS) {
      const child = spawnSync(process.execPath, [resolve(import.meta.dirname, '../bin/sortscope.mjs'), 'bench', '--backend', b, '--batch', batches.join(','), '--reps', String(reps)], { encoding: 'utf8' });
      if (child.status === 0) rows.push(...(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Row[]));
      else missing.push(`${b}: ${(child.stderr.trim().split('\n').at(-1) ?? 'failed').replace(/^sortscope: /, '')}`);
    }
    if (args.globals.json) {
      process.stdout.write(`${JSON.stringify({ rows, unavailable: missing }, null, 2)}\n`);
      return 0;
    }
    const best = new Map<number, number>();
    for (const r of rows) best.set(r.batch, Math.min(best.get(r.batch) ?? Infinity, r.train_ms));
    process.stdout.write('engine       batch  train ms/step  grad ms  forward ms  train vs best\n');
    for (const r of rows) {
      process.stdout.write(
        `${r.engine.padEnd(12)} ${String(r.batch).padStart(5)}  ${r.train_ms.toFixed(1).padStart(13)}  ${r.grad_ms.toFixed(1).padStart(7)}  ${r.forward_ms.toFixed(1).padStart(10)}  ${(r.train_ms / best.get(r.batch)!).toFixed(2).padStart(12)}x\n`,
      );
    }
    for (const m of missing) process.stdout.write(`unavailable: ${m}\n`);
    return 0;
  },
};
