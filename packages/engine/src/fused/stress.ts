/**
 * The fused engine's stress harness: thousands of engine calls (stress-cases.ts: forward with
 * hooks, lossAndGrad, lossAndGradMany, evaluate with ablations; batch sizes 1, 7, 64, 512) on
 * 1, 2 and 3 threads, in fresh processes, with engines created and disposed (and their threads
 * restarted) between rounds, compared bit for bit with a reference computed on one thread.
 *
 * Every child process runs one variant, chosen in turn:
 *   default       the engine as shipped
 *   liftoff       --wasm-tiering-budget=2e9: the code stays in V8's baseline compiler (Liftoff),
 *                 where the race of 2026-11 lived (README.md, "The race")
 *   liftoff-1us   the same, with barriers that never spin and wake every microsecond: every wait
 *                 takes the path that used to lose its generation
 *   late-workers  helper threads sleep 30 ms before they first look for work
 *   turbofan      --no-liftoff
 * and, with --load N, N busy processes compete for the cores; with --chaos (Linux, needs chrt),
 * random threads of the children are flipped between SCHED_IDLE and SCHED_OTHER every 30 ms, as
 * the reproducer of the race did.
 *
 *   node --import tsx packages/engine/src/fused/stress.ts [--calls 10000] [--processes 3] [--load 1] [--chaos] [--json] [--quiet]
 *   npx nx run @sortscope/engine:stress
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Progress } from '@sortscope/core';
import { FusedEngine } from './engine.ts';
import { releaseIdleRuntimes, type SyncOptions } from './runtime.ts';
import { type StressCase, stressCases, stressModels } from './stress-cases.ts';

export interface Variant {
  name: string;
  nodeFlags: string[];
  sync: SyncOptions;
}

export const VARIANTS: Variant[] = [
  { name: 'default', nodeFlags: [], sync: {} },
  { name: 'liftoff', nodeFlags: ['--wasm-tiering-budget=2000000000'], sync: {} },
  { name: 'liftoff-1us', nodeFlags: ['--wasm-tiering-budget=2000000000'], sync: { spins: 0, waitMicros: 1 } },
  { name: 'late-workers', nodeFlags: [], sync: { lateStartMs: 30 } },
  { name: 'turbofan', nodeFlags: ['--no-liftoff'], sync: {} },
];

export interface Mismatch {
  id: string;
  threads: number;
  got: string;
  want: string;
}

export interface ChildReport {
  variant: string;
  calls: number;
  byThreads: Record<string, number>;
  mismatches: Mismatch[];
  errors: string[];
}

export interface StressReport {
  calls: number;
  processes: number;
  byVariant: Record<string, number>;
  byThreads: Record<string, number>;
  mismatches: (Mismatch & { variant: string })[];
  errors: string[];
  seconds: number;
  load: number;
  chaos: boolean;
}

/** The reference digest of every case: one thread, so no barrier is involved. */
export async function referenceDigests(): Promise<Record<string, string>> {
  const models = stressModels();
  const cases = stressCases(models);
  const out: Record<string, string> = {};
  for (const m of models) {
    const engine = await FusedEngine.create(m.cfg, { threads: 1 });
    try {
      for (const c of cases.filter((k) => k.model === m.name)) out[c.id] = c.run(engine);
    } finally {
      engine.dispose();
    }
  }
  return out;
}

/** One child's work: rounds over thread counts 1, 2, 3 until `calls` engine calls are done. */
export async function childRun(variant: Variant, refs: Record<string, string>, calls: number, seed: number): Promise<ChildReport> {
  const models = stressModels();
  const cases = stressCases(models);
  const report: ChildReport = { variant: variant.name, calls: 0, byThreads: {}, mismatches: [], errors: [] };
  let round = 0;
  while (report.calls < calls) {
    const threads = 1 + ((round + seed) % 3);
    const model = models[(round + seed) % models.length];
    const mine: StressCase[] = cases.filter((c) => c.model === model.name);
    // a different order every round, so calls of every kind follow one another
    const order = mine.map((c, i) => ({ c, k: Math.sin(1e4 * (round + 1) * (i + 1) + seed) })).sort((a, b) => a.k - b.k);
    try {
      const engine = await FusedEngine.create(model.cfg, { threads, sync: variant.sync });
      try {
        for (const { c } of order) {
          const got = c.run(engine);
          report.calls += c.calls;
          report.byThreads[threads] = (report.byThreads[threads] ?? 0) + c.calls;
          if (got !== refs[c.id]) report.mismatches.push({ id: c.id, threads, got, want: refs[c.id] });
        }
      } finally {
        engine.dispose();
      }
    } catch (err) {
      report.errors.push(`${model.name} threads ${threads}: ${String(err).slice(0, 300)}`);
      if (report.errors.length > 5) break;
    }
    if (round % 4 === 3) releaseIdleRuntimes(); // new helper threads next round
    round++;
  }
  releaseIdleRuntimes();
  return report;
}

/** Flip random threads of the given processes between SCHED_IDLE and SCHED_OTHER every 30 ms. */
function startChaos(pids: () => number[]): () => void {
  if (spawnSync('chrt', ['--version']).status !== 0) throw new Error('--chaos needs chrt (util-linux)');
  const timer = setInterval(() => {
    const tids = pids().flatMap((p) => {
      try {
        return readdirSync(`/proc/${p}/task`);
      } catch {
        return [];
      }
    });
    if (!tids.length) return;
    const pick = () => tids[Math.floor(Math.random() * tids.length)];
    execFile('chrt', ['-i', '-p', '0', pick()], () => {});
    execFile('chrt', ['-o', '-p', '0', pick()], () => {});
  }, 30);
  return () => clearInterval(timer);
}

/** Busy processes competing for the cores. */
function startLoad(n: number): () => void {
  const kids = Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  return () => kids.forEach((k) => k.kill('SIGKILL'));
}

export async function runStress(opts: { calls: number; processes: number; load: number; chaos: boolean; variants?: string[]; callsPerChild?: number; quiet?: boolean }): Promise<StressReport> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'ss-stress-'));
  const variants = VARIANTS.filter((v) => !opts.variants || opts.variants.includes(v.name));
  const refsFile = join(dir, 'refs.json');
  writeFileSync(refsFile, JSON.stringify(await referenceDigests()));
  const perChild = opts.callsPerChild ?? 400;
  const report: StressReport = { calls: 0, processes: 0, byVariant: {}, byThreads: {}, mismatches: [], errors: [], seconds: 0, load: opts.load, chaos: opts.chaos };
  const running = new Set<number>();
  const stopLoad = startLoad(opts.load);
  const stopChaos = opts.chaos ? startChaos(() => [...running]) : () => {};
  const progress = new Progress({ label: 'stress', total: opts.calls, unit: 'calls', quiet: opts.quiet });
  let started = 0;
  const one = async (): Promise<void> => {
    while (report.calls + (started - report.processes) * perChild < opts.calls) {
      const v = variants[started % variants.length];
      const seed = started++;
      const child = spawn(process.execPath, [...v.nodeFlags, '--import', 'tsx', import.meta.filename, '--child', v.name, '--refs', refsFile, '--calls', String(perChild), '--seed', String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child.pid!);
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      running.delete(child.pid!);
      report.processes++;
      try {
        const r = JSON.parse(out) as ChildReport;
        report.calls += r.calls;
        report.byVariant[r.variant] = (report.byVariant[r.variant] ?? 0) + r.calls;
        for (const [t, n] of Object.entries(r.byThreads)) report.byThreads[t] = (report.byThreads[t] ?? 0) + n;
        report.mismatches.push(...r.mismatches.map((m) => ({ ...m, variant: r.variant })));
        report.errors.push(...r.errors.map((e) => `${r.variant}: ${e}`));
      } catch {
        report.errors.push(`${v.name}: child exited ${code}: ${err.slice(-400)}`);
      }
      progress.update(Math.min(report.calls, opts.calls), `${report.processes} processes, ${report.mismatches.length} mismatches`);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.processes }, one));
  } finally {
    stopChaos();
    stopLoad();
    rmSync(dir, { recursive: true, force: true });
  }
  progress.finish(`${report.calls} calls, ${report.mismatches.length} mismatches, ${report.errors.length} errors`);
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      refs: { type: 'string' },
      seed: { type: 'string', default: '0' },
      calls: { type: 'string', default: '10000' },
      processes: { type: 'string', default: '3' },
      load: { type: 'string', default: '1' },
      chaos: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (values.child) {
    const v = VARIANTS.find((x) => x.name === values.child)!;
    const refs = JSON.parse((await import('node:fs')).readFileSync(values.refs!, 'utf8'));
    process.stdout.write(JSON.stringify(await childRun(v, refs, Number(values.calls), Number(values.seed))));
    return 0;
  }
  const r = await runStress({ calls: Number(values.calls), processes: Number(values.processes), load: Number(values.load), chaos: values.chaos, quiet: values.quiet });
  if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    process.stdout.write(
      `${r.calls} engine calls in ${r.processes} processes, ${r.seconds.toFixed(0)} s (load ${r.load} busy processes${r.chaos ? ', thread starvation' : ''})\n` +
        `by variant: ${Object.entries(r.byVariant).map(([k, n]) => `${k} ${n}`).join(', ')}\n` +
        `by threads: ${Object.entries(r.byThreads).map(([k, n]) => `${k}: ${n}`).join(', ')}\n` +
        `mismatches: ${r.mismatches.length}; errors: ${r.errors.length}\n`,
    );
    for (const m of r.mismatches.slice(0, 20)) process.stdout.write(`  MISMATCH ${m.variant} ${m.id} threads ${m.threads}: ${m.got} ≠ ${m.want}\n`);
    for (const e of r.errors.slice(0, 20)) process.stdout.write(`  ERROR ${e}\n`);
  }
  return r.mismatches.length || r.errors.length ? 1 : 0;
}

if (import.meta.filename === process.argv[1]) process.exitCode = await main();
