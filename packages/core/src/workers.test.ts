import { describe, expect, it } from 'vitest';
import { environmentError } from './environment-error.ts';
import { ConfigError, SortscopeError } from './errors.ts';
import { runPool } from './workers.ts';

const MODULE = new URL('./workers.testing.ts', import.meta.url);

describe('runPool', () => {
  it('returns results in job order whatever the number of workers, with progress', async () => {
    const jobs = Array.from({ length: 7 }, (_, i) => ({ seed: i }));
    const progress: number[] = [];
    const one = await runPool<{ seed: number }, number>(jobs, { module: MODULE, init: { scale: 10 }, size: 1, onProgress: (d) => progress.push(d as number) });
    const two = await runPool<{ seed: number }, number>(jobs, { module: MODULE, init: { scale: 10 }, size: 2 });
    expect(one).toEqual(two);
    expect(one).toHaveLength(7);
    expect(progress.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('rejects with the job that failed', async () => {
    await expect(runPool([{ seed: -1 }], { module: MODULE, init: { scale: 1 } })).rejects.toThrow(/worker job 0: negative seed -1/);
  });

  it("keeps a domain error's name, message and exit code across the thread boundary", async () => {
    const err = await runPool([{ seed: 1 }, { seed: -2 }], { module: MODULE, init: { scale: 1 }, size: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SortscopeError);
    expect(err).not.toBeInstanceOf(ConfigError); // revived, not the same class: what the CLI reads is name and exit code
    expect((err as SortscopeError).name).toBe('ConfigError');
    expect((err as SortscopeError).exitCode).toBe(2);
    expect((err as Error).message).toBe('llc.batch_size: got 900; expected at most the 710 training rows');
  });

  it("keeps a system error's code and path, so the CLI says it plainly", async () => {
    const err = await runPool([{ seed: -3 }], { module: MODULE, init: { scale: 1 } }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EISDIR');
    const clear = environmentError(err);
    expect(clear?.exitCode).toBe(3);
    expect(clear?.message).toMatch(/is a folder; expected a file/);
  });
});

describe('WorkerPool', () => {
  it('runs several batches of jobs on the same threads', async () => {
    const { WorkerPool } = await import('./workers.ts');
    const pool = await WorkerPool.start({ module: MODULE, init: { scale: 1 }, size: 2 });
    try {
      const a = await pool.run<{ seed: number }, number>([{ seed: 1 }, { seed: 2 }, { seed: 3 }]);
      const b = await pool.run<{ seed: number }, number>([{ seed: 3 }]);
      expect(b[0]).toBe(a[2]);
      expect(pool.size).toBe(2);
    } finally {
      await pool.close();
    }
  });
});
