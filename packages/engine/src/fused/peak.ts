/**
 * The per-core peak of WebAssembly SIMD on this machine, and the floor it puts under the fused
 * engine's calls:
 *
 *   npx tsx packages/engine/src/fused/peak.ts [--seconds S] [--reps R] [--threads 1,2] [--no-relaxed] [--no-native] [--json]
 *
 * or measurePeak(opts) from code (importing this module runs nothing).
 *
 * Kernels (../../fused-src/probe/peak.c, built by build-peak.sh into peak.wasm and
 * peak-relaxed.wasm; each instance has its own memory, nothing imported):
 *   mul_add_N   N independent f32x4 accumulators, acc = acc·b + c (f32x4.mul, f32x4.add): 8·N FLOP
 *               per iteration; the peak is the best of N = 8, 12, 16 (N = 4 is latency-bound)
 *   tile_4x8    gemm.h's 4×8 inner loop on an L1-resident panel (loads included): 4096 FLOP per iteration
 *   madd_N      relaxed SIMD f32x4.relaxed_madd (an FMA on x86): 8·N FLOP per iteration. Node 20
 *               (V8 11.3) validates relaxed SIMD only with --experimental-wasm-relaxed-simd: this
 *               script checks without it, then sets it with v8.setFlagsFromString before compiling
 *               (and, should that not take, re-runs itself under the flag)
 * Each kernel runs a fixed number of iterations (calibrated to about S seconds, default 0.05)
 * R times (default 7) in worker_threads, each with its own instance, after warm-up calls that let
 * V8 tier the code up to TurboFan; with T threads all start together (a spin barrier) and
 * GFLOP/s = T × FLOP per thread / the slowest thread's time. Reported: best and median.
 * The native reference (probe/peak-native.c: AVX2 FMA and 128/256-bit mul + add in C) is
 * compiled with gcc -O3 -mavx2 -mfma in a temporary directory when gcc is present.
 *
 * Then the FLOP of the bench's calls (flops.ts: the baseline model, bench.ts' batches) and the
 * floor = FLOP / (peak per core × cores) at the measured peaks and at the 32–40 GFLOP/s per core
 * that the README quotes for the engine's matrix kernels.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { benchFlops, printBenchFlops } from './flops.ts';

export { benchFlops };

/** the slice of the WebAssembly JS API used here (the repo's TypeScript lib has no WebAssembly types) */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PROBE = fileURLToPath(new URL('../../fused-src/probe/', import.meta.url));
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

export type Build = 'simd128' | 'relaxed' | 'native';

export interface PeakRow {
  build: Build;
  kernel: string;
  threads: number;
  /** FLOP per iteration of one thread */
  flopPerIter: number;
  iters: number;
  /** GFLOP/s over all threads */
  best: number;
  median: number;
}

export interface RelaxedStatus {
  /** peak-relaxed.wasm validates without any flag */
  withoutFlag: boolean;
  /** …after v8.setFlagsFromString(RELAXED_FLAG) (or in a node started with the flag) */
  withFlag: boolean;
  via: 'none' | 'setFlagsFromString' | 'respawn' | 'unavailable';
  /** relaxed_madd computed a·b + c with one rounding */
  fused?: boolean;
  note?: string;
}

export interface PeakReport {
  rows: PeakRow[];
  relaxed: RelaxedStatus;
  native: string;
  cores: number;
}

export interface PeakOptions {
  /** seconds per rep [0.05] */
  seconds?: number;
  /** reps per measurement, at least 5 [7] */
  reps?: number;
  /** thread counts [1, 2] */
  threads?: number[];
  relaxed?: boolean;
  native?: boolean;
  /** measure only the relaxed build (used when re-run under the flag) */
  relaxedOnly?: boolean;
  print?: (line: string) => void;
}

const SIMD128: [string, number][] = [
  ['mul_add_4', 32], ['mul_add_8', 64], ['mul_add_12', 96], ['mul_add_16', 128], ['tile_4x8', 64 * 64],
];
const RELAXED: [string, number][] = [['madd_4', 32], ['madd_8', 64], ['madd_12', 96], ['madd_16', 128]];

/* plain JavaScript, run with eval: an instance of the probe per thread */
const WORKER_SRC = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.relaxedFlag) require('node:v8').setFlagsFromString(${JSON.stringify(RELAXED_FLAG)});
const ex = new WebAssembly.Instance(new WebAssembly.Module(workerData.bytes), {}).exports;
const buf = new Float32Array(ex.memory.buffer, ex.buf_addr(), ex.buf_len());
buf.fill(0); buf.fill(0.5, 0, 8); buf.fill(1, 8, 8 + 64); // b = c = 0.5, accumulators 1 (stay 1), tile panels 0
const sync = new Int32Array(workerData.sync);
parentPort.on('message', (m) => {
  if (m.type === 'warm') {
    for (let i = 0; i < m.calls; i++) ex[m.kernel](m.iters);
    parentPort.postMessage({});
  } else if (m.type === 'run') {
    if (m.target) { Atomics.add(sync, 0, 1); while (Atomics.load(sync, 0) < m.target); }
    const t = performance.now();
    ex[m.kernel](m.iters);
    const ms = performance.now() - t;
    parentPort.postMessage({ ms, ok: buf[8] === 1 && buf[12] === 1 });
  }
});
`;

class Pool {
  private arrived = 0;
  private constructor(private workers: Worker[], private sync: Int32Array) {}

  static async create(T: number, bytes: Uint8Array, relaxedFlag: boolean): Promise<Pool> {
    const sab = new SharedArrayBuffer(4);
    const workers = Array.from({ length: T }, () => new Worker(WORKER_SRC, { eval: true, workerData: { bytes, sync: sab, relaxedFlag } }));
    const pool = new Pool(workers, new Int32Array(sab));
    await Promise.all(workers.map((_, i) => pool.call(i, { type: 'warm', kernel: 'buf_len', calls: 0, iters: 0 })));
    return pool;
  }

  call(i: number, msg: object): Promise<{ ms: number; ok: boolean }> {
    const w = this.workers[i];
    return new Promise((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      w.once('error', onErr);
      w.once('message', (m) => {
        w.off('error', onErr);
        resolve(m);
      });
      w.postMessage(msg);
    });
  }

  /** warm-up calls on every thread, returning to the event loop between rounds (tier-up) */
  async warm(kernel: string, iters: number): Promise<void> {
    for (let round = 0; round < 4; round++) await Promise.all(this.workers.map((_, i) => this.call(i, { type: 'warm', kernel, calls: 10, iters })));
  }

  /** iterations for about `seconds` on one thread */
  async calibrate(kernel: string, seconds: number): Promise<number> {
    let iters = 1000;
    for (;;) {
      const { ms } = await this.call(0, { type: 'run', kernel, iters });
      if (ms > (seconds * 1000) / 4) return Math.max(1, Math.round((iters * seconds * 1000) / ms));
      iters *= 4;
    }
  }

  /** one timed run on threads 0 … T−1 together: the slowest thread's ms */
  async run(kernel: string, iters: number, T: number): Promise<number> {
    this.arrived += T;
    const target = T > 1 ? this.arrived : 0;
    if (T > 1) Atomics.store(this.sync, 0, this.arrived - T);
    const res = await Promise.all(this.workers.slice(0, T).map((_, i) => this.call(i, { type: 'run', kernel, iters, target })));
    if (!res.every((r) => r.ok)) throw new Error(`${kernel}: wrong result (the kernel did not run as written)`);
    return Math.max(...res.map((r) => r.ms));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function measureBuild(build: Build, bytes: Uint8Array, kernels: [string, number][], threads: number[], seconds: number, reps: number, relaxedFlag: boolean): Promise<PeakRow[]> {
  const pool = await Pool.create(Math.max(...threads), bytes, relaxedFlag);
  const rows: PeakRow[] = [];
  try {
    for (const [kernel, flopPerIter] of kernels) {
      await pool.warm(kernel, Math.max(1, Math.round(2e5 / flopPerIter)));
      const iters = await pool.calibrate(kernel, seconds);
      for (const T of threads) {
        await pool.run(kernel, iters, T); // untimed
        const g: number[] = [];
        for (let r = 0; r < reps; r++) g.push((T * iters * flopPerIter) / ((await pool.run(kernel, iters, T)) * 1e6));
        rows.push({ build, kernel, threads: T, flopPerIter, iters, best: Math.max(...g), median: median(g) });
      }
    }
  } finally {
    await pool.dispose();
  }
  return rows;
}

/** relaxed_madd's semantics on lanes (2·3 + 5 = 11; (1 + 2⁻¹²)² − 1 = 2⁻¹¹ + 2⁻²⁴ fused, 2⁻¹¹ unfused) */
function relaxedSemantics(bytes: Uint8Array): { ok: boolean; fused: boolean } {
  const ex = new wasm.Instance(new wasm.Module(bytes), {}).exports as { memory: { buffer: ArrayBuffer }; buf_addr(): number; madd_check(): void };
  const buf = new Float32Array(ex.memory.buffer, ex.buf_addr(), 12);
  const e = Math.fround(1 + 2 ** -12);
  buf.set([3, e, 3, 3, 5, -1, 5, 5, 2, e, 2, 2]); // y, z, x
  ex.madd_check();
  return { ok: buf[8] === 11 && buf[10] === 11, fused: buf[9] === 2 ** -11 + 2 ** -24 };
}

function measureNative(threads: number[], seconds: number, reps: number): { rows: PeakRow[]; note: string } {
  const src = join(PROBE, 'peak-native.c');
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (gcc.status !== 0 || !existsSync(src)) return { rows: [], note: 'no gcc: native reference skipped' };
  const dir = mkdtempSync(join(tmpdir(), 'peak-native-'));
  try {
    const exe = join(dir, 'peak-native');
    const cc = spawnSync('gcc', ['-O3', '-mavx2', '-mfma', '-ffp-contract=off', '-pthread', '-o', exe, src], { encoding: 'utf8' });
    if (cc.status !== 0) return { rows: [], note: `gcc failed: ${cc.stderr.trim()}` };
    const rows: PeakRow[] = [];
    for (const T of threads) {
      const run = spawnSync(exe, [String(seconds), String(reps), String(T)], { encoding: 'utf8' });
      if (run.status !== 0) return { rows, note: `peak-native failed (${run.status})` };
      for (const line of run.stdout.trim().split('\n')) {
        const j = JSON.parse(line);
        const flopPerIter = Number(/_(\d+)$/.exec(j.kernel)![1]) * (j.kernel.includes('128') ? 8 : 16);
        rows.push({ build: 'native', kernel: j.kernel, threads: T, flopPerIter, iters: j.iters, best: j.best, median: j.median });
      }
    }
    return { rows, note: `${gcc.stdout.split('\n')[0]}, -O3 -mavx2 -mfma -ffp-contract=off` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Measure (see the top of this file); prints the tables unless print is a no-op. */
export async function measurePeak(opts: PeakOptions = {}): Promise<PeakReport> {
  const seconds = opts.seconds ?? 0.05;
  const reps = Math.max(5, opts.reps ?? 7);
  const threads = opts.threads ?? [1, 2];
  const rows: PeakRow[] = [];
  const relaxed: RelaxedStatus = { withoutFlag: false, withFlag: false, via: 'unavailable' };
  let native = 'not measured';
  if (!opts.relaxedOnly) rows.push(...(await measureBuild('simd128', readFileSync(join(PROBE, 'peak.wasm')), SIMD128, threads, seconds, reps, false)));
  const relaxedPath = join(PROBE, 'peak-relaxed.wasm');
  if (opts.relaxed !== false && existsSync(relaxedPath)) {
    const bytes = readFileSync(relaxedPath);
    relaxed.withoutFlag = wasm.validate(bytes);
    if (!relaxed.withoutFlag) {
      v8.setFlagsFromString(RELAXED_FLAG);
      relaxed.withFlag = wasm.validate(bytes);
      relaxed.via = relaxed.withFlag ? 'setFlagsFromString' : 'unavailable';
    } else {
      relaxed.withFlag = true;
      relaxed.via = 'none';
    }
    if (relaxed.withFlag) {
      const sem = relaxedSemantics(bytes);
      relaxed.fused = sem.fused;
      if (!sem.ok) relaxed.note = 'relaxed_madd did not compute a·b + c';
      rows.push(...(await measureBuild('relaxed', bytes, RELAXED, threads, seconds, reps, !relaxed.withoutFlag)));
    } else if (!opts.relaxedOnly) {
      // the flag did not take at run time: run this script again under it, relaxed build only
      const args = [...process.execArgv, RELAXED_FLAG, fileURLToPath(import.meta.url), '--relaxed-only', '--json', '--seconds', String(seconds), '--reps', String(reps), '--threads', threads.join(',')];
      const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
      const out = child.status === 0 ? (JSON.parse(child.stdout.trim().split('\n').pop()!) as PeakReport) : null;
      if (out?.relaxed.withFlag) {
        Object.assign(relaxed, { withFlag: true, via: 'respawn', fused: out.relaxed.fused, note: out.relaxed.note });
        rows.push(...out.rows);
      } else relaxed.note = `relaxed SIMD did not validate with ${RELAXED_FLAG}`;
    }
  } else if (opts.relaxed !== false) relaxed.note = 'no peak-relaxed.wasm (clang without relaxed SIMD)';
  if (opts.native !== false && !opts.relaxedOnly) {
    const r = measureNative(threads, seconds, reps);
    rows.push(...r.rows);
    native = r.note;
  }
  const report: PeakReport = { rows, relaxed, native, cores: availableParallelism() };
  if (opts.print) printReport(report, threads, seconds, reps, opts.print);
  return report;
}

/** the best 1-thread GFLOP/s of a build's peak kernels (and which kernel) */
export function peakPerCore(report: PeakReport, build: Build, kernels: RegExp = /^(mul_add_(8|12|16)|madd_(8|12|16)|fma256_\d+)$/): { gflops: number; kernel: string } | null {
  const rows = report.rows.filter((r) => r.build === build && r.threads === 1 && kernels.test(r.kernel));
  if (!rows.length) return null;
  const best = rows.reduce((a, b) => (b.best > a.best ? b : a));
  return { gflops: best.best, kernel: best.kernel };
}

function printReport(report: PeakReport, threads: number[], seconds: number, reps: number, log: (line: string) => void): void {
  const f = (x: number) => x.toFixed(1);
  log(`WebAssembly SIMD peak: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, node ${process.version} (V8 ${process.versions.v8}), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  log(`GFLOP/s over all threads, best and median of ${reps} runs of ~${seconds} s each (after warm-up); ×T = T-thread best / 1-thread best\n`);
  log(`| build | kernel | FLOP/iter | ${threads.map((T) => `${T} thr best | median`).join(' | ')} |${threads.length > 1 ? ` ×${threads[threads.length - 1]} |` : ''}`);
  log(`|---|---|---:|${threads.map(() => '---:|---:').join('|')}|${threads.length > 1 ? '---:|' : ''}`);
  const keys = [...new Set(report.rows.map((r) => `${r.build}/${r.kernel}`))];
  for (const key of keys) {
    const rs = threads.map((T) => report.rows.find((r) => `${r.build}/${r.kernel}` === key && r.threads === T));
    const r0 = rs.find(Boolean)!;
    const scale = rs[0] && rs[rs.length - 1] && threads.length > 1 ? ` ${(rs[rs.length - 1]!.best / rs[0].best).toFixed(2)} |` : threads.length > 1 ? ' – |' : '';
    log(`| ${r0.build} | ${r0.kernel} | ${r0.flopPerIter} | ${rs.map((r) => (r ? `${f(r.best)} | ${f(r.median)}` : '– | –')).join(' | ')} |${scale}`);
  }
  const rel = report.relaxed;
  log('');
  log(`relaxed SIMD: ${rel.withoutFlag ? 'available without flags' : `not available without flags on node ${process.version}`}; ${rel.withFlag ? `with ${RELAXED_FLAG} (${rel.via}) it validates, relaxed_madd ${rel.fused ? 'is fused (one rounding)' : 'is not fused (two roundings)'}` : `with ${RELAXED_FLAG}: ${rel.note ?? 'unavailable'}`}${rel.note && rel.withFlag ? ` — ${rel.note}` : ''}`);
  log(`native: ${report.native}`);

  // the floor under the bench's calls
  const cores = report.cores;
  const peaks: [string, number][] = [];
  const s = peakPerCore(report, 'simd128');
  if (s) peaks.push([`wasm SIMD mul+add peak (${s.kernel}, ${f(s.gflops)}/core)`, s.gflops]);
  const two = report.rows.filter((r) => r.build === 'simd128' && r.threads === cores && /^mul_add_(8|12|16)$/.test(r.kernel));
  if (two.length) {
    const b = two.reduce((a, c) => (c.best > a.best ? c : a));
    peaks.push([`wasm SIMD measured on ${cores} threads (${b.kernel}, ${f(b.best)} total)`, b.best / cores]);
  }
  const t = report.rows.find((r) => r.build === 'simd128' && r.kernel === 'tile_4x8' && r.threads === 1);
  if (t) peaks.push([`wasm gemm tile 4×8 from L1 (${f(t.best)}/core)`, t.best]);
  peaks.push(['README gemm kernels, 40/core', 40], ['README gemm kernels, 32/core', 32]);
  const rx = peakPerCore(report, 'relaxed');
  if (rx) peaks.push([`relaxed SIMD madd (${rx.kernel}, ${f(rx.gflops)}/core, flag)`, rx.gflops]);
  const nat = peakPerCore(report, 'native', /^fma256_\d+$/);
  if (nat) peaks.push([`native AVX2 FMA (${nat.kernel}, ${f(nat.gflops)}/core)`, nat.gflops]);

  log(`\nFLOP of the bench's calls (flops.ts; baseline model, bench.ts' batches; train = lossAndGrad, forward = evaluate):\n`);
  printBenchFlops(log);
  const calls = benchFlops();
  log(`\nFloor = FLOP / (GFLOP/s per core × ${cores} cores), ms:\n`);
  log(`| at | ${calls.map((c) => `${c.mode} ${c.rows}`).join(' | ')} |`);
  log(`|---|${calls.map(() => '---:').join('|')}|`);
  for (const [label, g] of peaks) log(`| ${label} | ${calls.map((c) => (c.flops.total / (g * cores * 1e6)).toFixed(2)).join(' | ')} |`);
  // the README's kernel speeds: gemm.h at 40, attention at 13 GFLOP/s per core, the rest at the wasm peak
  if (s) log(`| gemm.h at 40, attention at 13, the rest at the wasm peak (/core) | ${calls.map((c) => ((c.flops.gemm / 40 + (c.flops.matmul - c.flops.gemm) / 13 + (c.flops.total - c.flops.matmul) / s.gflops) / (cores * 1e6)).toFixed(2)).join(' | ')} |`);
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const report = await measurePeak({
    seconds: flag('seconds') ? Number(flag('seconds')) : undefined,
    reps: flag('reps') ? Number(flag('reps')) : undefined,
    threads: flag('threads')?.split(',').map(Number),
    relaxed: !process.argv.includes('--no-relaxed'),
    native: !process.argv.includes('--no-native'),
    relaxedOnly: process.argv.includes('--relaxed-only'),
    print: json ? undefined : (line) => console.log(line),
  });
  if (json) console.log(JSON.stringify(report));
}
