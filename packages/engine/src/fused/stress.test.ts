/**
 * The short version of the stress harness (stress.ts; the long one is `nx run
 * @sortscope/engine:stress`): a few hundred calls of every kind, on 1–3 threads, in fresh
 * processes, with the code held in Liftoff and barriers that sleep at once and wake every
 * microsecond (the path that used to lose the barrier's generation), and with helper threads that
 * start late. Every result must equal the one-thread reference bit for bit.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FusedEngine } from './engine.ts';
import { runStress } from './stress.ts';
import { stressCases, stressModels } from './stress-cases.ts';

describe('fused engine under stress', () => {
  it('gives the one-thread results bit for bit in 300+ calls (Liftoff, 1 µs waits, late threads)', async () => {
    const r = await runStress({ calls: 300, processes: 2, load: 0, chaos: false, variants: ['liftoff-1us', 'late-workers', 'default'], callsPerChild: 110, quiet: true });
    expect(r.errors).toEqual([]);
    expect(r.mismatches).toEqual([]);
    expect(r.calls).toBeGreaterThanOrEqual(300);
    expect(Object.keys(r.byThreads).sort()).toEqual(['1', '2', '3']);
  }, 120_000);

  it('refuses a call whose threads lost step instead of returning its numbers', async () => {
    const [model] = stressModels();
    const c = stressCases([model]).find((k) => k.id.endsWith('lossAndGrad B=64'))!;
    const engine = await FusedEngine.create(model.cfg, { threads: 2 });
    try {
      c.run(engine); // healthy
      // a stale arrival at the barrier (as a thread that left one early leaves behind): thread 0 then
      // passes the next barrier alone, the threads lose step, and the check after the call must notice
      const rt = (engine as unknown as { rt: { memory: { buffer: ArrayBufferLike }; ex: { ctl_addr(): number } } }).rt;
      const ctl = new Int32Array(rt.memory.buffer, rt.ex.ctl_addr(), 8);
      Atomics.store(ctl, 3, 1);
      expect(() => c.run(engine)).toThrow(/the threads lost step/);
      expect(() => c.run(engine)).toThrow(/lost step/); // and the engine stays refused
    } finally {
      engine.dispose();
    }
  });
});

describe('the V8 Liftoff defect the engine works around', () => {
  it('a wait kept in a leaf function (as the engine does) returns under --liftoff-only', () => {
    const probe = fileURLToPath(new URL('../../fused-src/probe/liftoff-wait.mjs', import.meta.url));
    const r = spawnSync(process.execPath, ['--liftoff-only', probe, 'probe_leaf'], { encoding: 'utf8', timeout: 10_000 });
    expect(r.stdout.trim()).toBe('123456');
  });
});
