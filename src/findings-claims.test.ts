/**
 * The per-cell summaries from compact results: stage markers from the heads' overlap, the LLC of
 * the overlap stage against the end (flagged estimates left out), mean ± sd over seeds; and the
 * comparison `findings --check` uses.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useTempDirs } from '@sortscope/core/testing';
import { describe, expect, it } from 'vitest';
import { cellSummaries, runMarkers, spread } from './findings-claims.ts';
import { compareCompact, readCompact } from './findings-results.ts';
import type { CheckpointRow, CompactExperiment } from './findings-data.ts';
import { cellOf } from './findings-data.ts';

const tmp = useTempDirs('findings');
const ROOT = resolve(import.meta.dirname, '..');

const row = (step: number, acc: number, overlap: number, llc?: number, flagged = 0): CheckpointRow => ({
  step,
  val_loss: 1 - acc,
  val_token_acc: acc,
  overlap,
  co_copied: Math.round(overlap * 50),
  regions: [4, 4],
  n_copied: [25, 25],
  split_agreement: null,
  llc: llc === undefined ? {} : { all: { mean: llc, std: 1, se: 0.6, flagged, n_ok: 4, init_loss: 0.1 }, L0H0: { mean: llc / 4, std: 1, se: 0.6, flagged: 0, n_ok: 4, init_loss: 0.1 } },
  norms: {},
});

function run(name: string, llcShift: number): CompactExperiment {
  const curve = [
    row(0, 0.1, 1, -5, 2), // not a minimum: flagged, left out
    row(10, 0.995, 1, 100 + llcShift),
    row(20, 0.999, 0.9, 110 + llcShift),
    row(30, 0.999, 0.5),
    row(40, 0.999, 0.33, 80 + llcShift),
    row(50, 0.999, 0.31, 70 + llcShift),
  ];
  return { experiment: name, ...cellOf(name), facts: { val_loss: 0.05 } as CompactExperiment['facts'], curve, behaviour: null };
}

describe('findings claims', () => {
  it('stage markers: accuracy, end of the overlap stage, split; LLC of the overlap stage against the end', () => {
    const m = runMarkers(run('a/b-seed=1', 0));
    expect(m).toMatchObject({ t_acc99: 10, t_overlap: 20, t_split: 40, overlap_final: 0.31, llc_overlap: 105, llc_final: 70, llc_change: -35 });
    expect(m.head_llc_final).toEqual({ L0H0: 17.5 });
  });

  it('cells: mean ± sd over seeds', () => {
    const cells = cellSummaries([run('a/b-seed=1', 0), run('a/b-seed=2', 10), run('a/b-seed=3', 20), run('a/c-seed=1', 0)]);
    expect(cells.map((c) => c.cell)).toEqual(['a/b', 'a/c']);
    expect(cells[0].seeds).toEqual([1, 2, 3]);
    expect(cells[0].llc_final).toEqual({ mean: 80, sd: 10, n: 3 });
    expect(cells[0].llc_change!.mean).toBeCloseTo(-35, 12);
    expect(cells[1].llc_final!.n).toBe(1);
    expect(spread([null, NaN])).toBeNull();
  });

  it('compareCompact finds every differing number; readCompact refuses a damaged file', () => {
    const a = { study: 's', note: '', experiments: [run('a/b-seed=1', 0)] };
    const b = { study: 's', note: '', experiments: [run('a/b-seed=1', 0)] };
    expect(compareCompact(a, b)).toEqual([]);
    b.experiments[0].curve[4].llc.all.mean = 80.5;
    expect(compareCompact(a, b)).toEqual(['a/b-seed=1.curve.4.llc.all.mean: 80 vs 80.5']);
    const dir = tmp();
    writeFileSync(join(dir, 'x.json'), '{"study": "s", "exp');
    expect(() => readCompact(join(dir, 'x.json'))).toThrow(/x\.json is not readable JSON/);
    writeFileSync(join(dir, 'y.json'), JSON.stringify(a));
    expect(readCompact(join(dir, 'y.json'))).toEqual(a);
  });

  it('sortscope findings --from FILE prints the facts, the cells and a curve without any artifact', () => {
    const dir = tmp();
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ study: 's', note: '', experiments: [run('a/b-seed=1', 0), run('a/b-seed=2', 10)] }));
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), 'findings', '--from', file, ...args], { cwd: dir, encoding: 'utf8' });
    const cells = cli('--cells');
    expect(cells.status).toBe(0);
    expect(cells.stdout).toMatch(/\| a\/b \| 1,2 \| 0\.05 ± 0 \| 10 ± 0 \| 20 ± 0 \| 40 ± 0 \| 0\.31 ± 0 \| 4 ± 0 \| 110 ± 7\.07 \| 75 ± 7\.07 \| -35 ± 0 \| L0H0 18\.8 ± 1\.77 \|/);
    const curve = cli('--curve', 'a/b-seed=2');
    expect(curve.stdout).toMatch(/\| 40 \| 0\.001 \| 0\.999 \| 0\.33 \| 17 \| 4\/4 \| – \| 90 ± 1 \| 22\.5 ± 1 \|/);
    expect(cli('--curve', 'nope').stderr).toMatch(/--curve: got "nope"; expected one of: a\/b-seed=1, a\/b-seed=2/);
  });
});
