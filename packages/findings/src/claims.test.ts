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
import { cellSummaries, fmt, llcSteps, runMarkers, spread } from './claims.ts';
import { compareCompact, isComplete, mergeCompact, missingExperiments, readCompact, staleExperiments, staleHeld } from './compact-file.ts';
import { claimsTable, llcVersionsLine } from './claims-table.ts';
import type { CheckpointRow, CompactExperiment } from './data.ts';
import { cellOf, withHeights } from './data.ts';
import { readableEstimate } from '@sortscope/llc/diagnostics';

const tmp = useTempDirs('findings');
const ROOT = resolve(import.meta.dirname, '../../..');

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
  return { experiment: name, ...cellOf(name), facts: { experiment: name, final_step: 50, llc_flags: {}, heads: [], val_loss: 0.05 } as unknown as CompactExperiment['facts'], curve, behaviour: null };
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

  it('fmt: mean ± sd, and the count of seeds whenever fewer than the cell\'s have a value', () => {
    expect(fmt(spread([1, 2, 3]), 3, 3)).toBe('2 ± 1');
    expect(fmt(spread([1, 3, null]), 3, 3)).toBe('2 ± 1.41 (n 2)');
    expect(fmt(spread([5, null, null]), 3, 3)).toBe('5 (n 1)');
    expect(fmt(null, 3, 3)).toBe('–');
  });

  it('cells: essential-dynamics turning points of PC1–PC3 per seed, and the PC1+PC2 share', () => {
    const e = run('a/b-seed=7', 0);
    const stats = { entropy: 0.2, confidence: 0.9, p_target: 0.9, loss: 0.1 };
    e.behaviour = { ed: { steps: [0, 10], scores: [], explained: [0.8, 0.1, 0.05, 0.01], turning: [[], [125], [107, 1648], [9]] }, confidence: { step: 50, clean: stats, heads: [] } };
    const [cell] = cellSummaries([e]);
    expect(cell.ed_turns).toEqual(['s7: – / 125 / 107, 1648']);
    expect(cell.ed_pc12_explained!.mean).toBeCloseTo(0.9, 12);
  });

  it('compareCompact finds every differing number; readCompact refuses a damaged file', () => {
    const a = { study: 's', note: '', experiments: [run('a/b-seed=1', 0)] };
    const b = { study: 's', note: '', experiments: [run('a/b-seed=1', 0)] };
    expect(compareCompact(a, b)).toEqual([]);
    b.experiments[0].curve[4].llc.all.mean = 80.5;
    expect(compareCompact(a, b)).toEqual(['a/b-seed=1.curve.4.llc.all.mean: 80 vs 80.5']);
    // a committed entry of an older format: the fields it lacks are not compared, the ones it has are
    const newer = structuredClone(b);
    newer.experiments[0].format = 2;
    newer.experiments[0].curve[4].llc.all.mixing = 1.8;
    const old = structuredClone(b);
    old.experiments[0].format = 1;
    expect(compareCompact(old, newer)).toEqual([]);
    newer.experiments[0].curve[4].llc.all.std = 99;
    expect(compareCompact(old, newer)).toEqual([`a/b-seed=1.curve.4.llc.all.std: ${old.experiments[0].curve[4].llc.all.std} vs 99`]);
    expect(compareCompact(newer, old)).toEqual(expect.arrayContaining(['a/b-seed=1.format: 2 vs 1', 'a/b-seed=1.curve.4.llc.all.mixing: 1.8 vs undefined'])); // the other way round: all compared
    const dir = tmp();
    writeFileSync(join(dir, 'x.json'), '{"study": "s", "exp');
    expect(() => readCompact(join(dir, 'x.json'))).toThrow(/x\.json is not readable JSON/);
    writeFileSync(join(dir, 'y.json'), JSON.stringify(a));
    expect(readCompact(join(dir, 'y.json'))).toEqual(a);
    writeFileSync(join(dir, 'z.json'), JSON.stringify({ ...a, experiments: [{ ...a.experiments[0], curve: [{ step: 'x' }] }] }));
    expect(() => readCompact(join(dir, 'z.json'))).toThrow(/z\.json is not a compact findings file .*:\n {2}experiments\[0\]\.curve\[0\]\.step: Invalid input: expected number, received string/);
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
    // a file of the right outline with a wrong field: refused, naming it, with no stack trace (it was a TypeError)
    writeFileSync(file, JSON.stringify({ study: 's', note: '', experiments: [{ foo: 1 }] }));
    const garbage = cli('--cells');
    expect(garbage.status).toBe(3);
    expect(garbage.stderr).toMatch(/^sortscope: ArtifactError: .*c\.json is not a compact findings file .*:\n {2}experiments\[0\]\.experiment: Invalid input: expected string, received undefined\n/);
    expect(garbage.stderr).not.toMatch(/\n\s+at /);
    // a study neither defined nor committed is named as such (it read "no experiment has been trained yet")
    const typo = spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), 'findings', '--study', 'claim', '--claims'], { cwd: ROOT, encoding: 'utf8' });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/^sortscope: ConfigError: --study: no study "claim" \(no folder studies\/claim\/\); did you mean "claims"\? Expected one of quick, claims, /);
  });

  it('llcSteps: λ̂ per estimated step, mean ± sd of the readable estimates, flagged seeds counted', () => {
    const a = run('a/b-seed=1', 0);
    const b = run('a/b-seed=2', 10);
    b.curve[1].llc.all.flagged = 1; // seed 2's step-10 estimate is unreadable
    const rows = llcSteps([a, b]);
    expect(rows.map((r) => r.step)).toEqual([0, 10, 20, 40, 50]);
    const at10 = rows.find((r) => r.step === 10)!;
    expect(at10.llc.all).toEqual({ mean: 100, sd: NaN, n: 1 });
    expect(at10.flagged).toBe(1);
    expect(rows.find((r) => r.step === 40)!.llc.all).toEqual({ mean: 85, sd: Math.sqrt(50), n: 2 });
    expect(rows.find((r) => r.step === 0)!.flagged).toBe(2);
  });

  it('--save merges across sessions: keeps committed runs with today\'s keys, drops stale ones, never downgrades a complete run', () => {
    const all = ['dataset', 'train', 'circuits', 'llc'];
    const keys = (k: string) => Object.fromEntries(all.map((s) => [s, `${s}-${k}`]));
    const entry = (name: string, k: string, stages = all, shift = 0) => ({ ...run(name, shift), stages, keys: Object.fromEntries(stages.map((s) => [s, keys(k)[s]])) });
    const planned = new Map([['a/b-seed=1', keys('1')], ['a/b-seed=2', keys('2')], ['a/b-seed=3', keys('3')], ['a/c-seed=1', keys('c')]]);
    const committed = { study: 's', note: '', experiments: [entry('a/b-seed=1', '1'), entry('a/b-seed=2', 'old'), entry('a/b-seed=3', '3'), entry('gone-seed=1', 'x')] };
    // this session: seed 3 only trained (incomplete), a/c complete
    const fresh = { study: 's', note: 'n', experiments: [entry('a/c-seed=1', 'c'), entry('a/b-seed=3', '3', ['dataset', 'train'], 5)] };
    const { merged, kept, dropped } = mergeCompact(committed, fresh, planned);
    expect(merged.experiments.map((e) => e.experiment)).toEqual(['a/b-seed=1', 'a/b-seed=3', 'a/c-seed=1']);
    expect(kept).toEqual(['a/b-seed=1', 'a/b-seed=3']);
    expect(isComplete(merged.experiments[1])).toBe(true); // the complete committed seed 3 wins over the partial one
    expect(dropped).toEqual(['a/b-seed=2: its stage keys differ from the config now', 'gone-seed=1: no longer in the study']);
    expect(missingExperiments(merged, planned)).toEqual(['a/b-seed=2']);
    expect(missingExperiments(null, planned)).toHaveLength(4);
    // an entry without keys (an older file) counts as missing
    expect(missingExperiments({ study: 's', note: '', experiments: [run('a/b-seed=1', 0)] }, planned)).toContain('a/b-seed=1');
    // stale: held with other keys (a stage version bump); an incomplete one with today's keys is not stale, one no longer planned is not asked about
    expect(staleExperiments(committed, planned)).toEqual(['a/b-seed=2']);
    expect(staleExperiments(merged, planned)).toEqual([]);
    expect(staleExperiments({ study: 's', note: '', experiments: [run('a/b-seed=1', 0)] }, planned)).toEqual(['a/b-seed=1']);
  });

  it('--save keeps an entry whose only out-of-date key is llc, marked stale, until the artifacts here have llc results for it', () => {
    const all = ['dataset', 'train', 'circuits', 'llc'];
    const withKeys = (name: string, llcKey: string, stages = all, shift = 0) => ({ ...run(name, shift), stages, keys: Object.fromEntries(stages.map((s) => [s, s === 'llc' ? llcKey : `${s}-${name}`])) });
    const today = (name: string) => Object.fromEntries(all.map((s) => [s, s === 'llc' ? 'llc-7' : `${s}-${name}`]));
    const names = ['g/a-seed=1', 'g/a-seed=2', 'g/a-seed=3', 'h/b-seed=1', 'h/b-seed=2'];
    const planned = new Map(names.map((n) => [n, today(n)]));
    // the committed file: all five under llc 6.1, except h/b-seed=2 whose train key has changed too
    const committed = { study: 's', note: '', experiments: names.map((n) => (n === 'h/b-seed=2' ? { ...withKeys(n, 'llc-61'), keys: { ...withKeys(n, 'llc-61').keys, train: 'train-other' } } : withKeys(n, 'llc-61'))) };
    // this session's artifacts: g/a-seed=1 recomputed under llc 7; g/a-seed=2 trained and analysed but its llc not yet run
    const fresh = { study: 's', note: 'n', experiments: [withKeys('g/a-seed=1', 'llc-7', all, 3), withKeys('g/a-seed=2', 'llc-7', ['dataset', 'train', 'circuits'], 3)] };
    const { merged, kept, dropped, staleKept } = mergeCompact(committed, fresh, planned);
    expect(merged.experiments.map((e) => e.experiment)).toEqual(['g/a-seed=1', 'g/a-seed=2', 'g/a-seed=3', 'h/b-seed=1']);
    expect(staleKept).toEqual(['g/a-seed=2', 'g/a-seed=3', 'h/b-seed=1']);
    expect(kept).toEqual([]);
    expect(dropped).toEqual(['h/b-seed=2: its stage keys differ from the config now']); // not llc alone: its numbers came from another training
    const [a1, a2] = merged.experiments;
    expect(a1.stale).toBeUndefined(); // recomputed here: today's
    expect(a1.curve[0].llc.all.mean).toBe(fresh.experiments[0].curve[0].llc.all.mean);
    expect(a2.stale).toEqual(['llc']); // the committed llc 6.1 entry, whole, rather than the new one without llc
    expect(a2.keys!.llc).toBe('llc-61');
    expect(isComplete(a2)).toBe(true);
    // --missing still lists every entry not held with today's keys, and names the stale ones apart
    expect(missingExperiments(merged, planned)).toEqual(['g/a-seed=2', 'g/a-seed=3', 'h/b-seed=1', 'h/b-seed=2']);
    expect(staleHeld(merged, planned)).toEqual(['g/a-seed=2', 'g/a-seed=3', 'h/b-seed=1']);
    expect(staleHeld(committed, planned)).toEqual(['g/a-seed=1', 'g/a-seed=2', 'g/a-seed=3', 'h/b-seed=1']);
    // a second save the next session keeps them (already marked) and takes newly recomputed ones
    const later = mergeCompact(merged, { study: 's', note: 'n', experiments: [withKeys('g/a-seed=3', 'llc-7', all, 4)] }, planned);
    expect(later.staleKept).toEqual(['g/a-seed=2', 'h/b-seed=1']);
    expect(later.merged.experiments.find((e) => e.experiment === 'g/a-seed=3')!.stale).toBeUndefined();
    expect(later.merged.experiments.find((e) => e.experiment === 'g/a-seed=1')!.stale).toBeUndefined(); // today's keys: kept as it is
    // the claims table says which groups' LLC numbers are earlier ones
    expect(llcVersionsLine(merged.experiments)).toBe('**LLC versions.** 3 of 4 experiments are held from earlier stage versions or settings, kept until the study recomputes them; 3 of them hold LLC numbers, from an earlier llc version (g 2, h 1). 1 hold today\'s LLC numbers (g 1). A comparison uses numbers of one vintage only.\n\n');
    expect(llcVersionsLine(fresh.experiments)).toBe('');
    expect(claimsTable(merged.experiments).startsWith('**LLC versions.** 3 of 4')).toBe(true);
  });

  it('--save holds an entry whose keys changed by stage versions only (a train bump), not one whose training config changed', () => {
    const all = ['dataset', 'train', 'circuits', 'llc'];
    // keys as a function of (config, versions): a stand-in for experimentKeys
    const keyOf = (cfg: string, v: Record<string, string>) => ({ dataset: `d-${cfg}`, train: `t-${cfg}-${v.train}`, circuits: `c-${cfg}-${v.train}-${v.circuits}`, llc: `l-${cfg}-${v.train}-${v.llc}` });
    const cfgOf: Record<string, string> = { 'g/a-seed=1': 'A1', 'g/a-seed=2': 'A2', 'g/a-seed=3': 'A3' };
    const vOld = { dataset: '1', train: '1', circuits: '1', llc: '6.1' };
    const vNow = { dataset: '1', train: '2', circuits: '1', llc: '7' };
    const keysUnder = (name: string, v: Record<string, string>) => (cfgOf[name] ? keyOf(cfgOf[name], v) : undefined);
    const planned = new Map(Object.keys(cfgOf).map((n) => [n, keyOf(cfgOf[n], vNow)]));
    const old = (name: string, cfg: string, stages = all) => ({ ...run(name, 0), stages, versions: vOld, keys: Object.fromEntries(stages.map((s) => [s, keyOf(cfg, vOld)[s as 'train']])) });
    // seed 1 as configured today; seed 2 trained with another config then (a changed lr): not held; seed 3 trained only
    const committed = { study: 's', note: '', experiments: [old('g/a-seed=1', 'A1'), old('g/a-seed=2', 'A2-other-lr'), old('g/a-seed=3', 'A3', ['dataset', 'train', 'circuits'])] };
    const { merged, staleKept, dropped } = mergeCompact(committed, { study: 's', note: 'n', experiments: [] }, planned, keysUnder);
    expect(staleKept).toEqual(['g/a-seed=1', 'g/a-seed=3']);
    expect(dropped).toEqual(['g/a-seed=2: its stage keys differ from the config now']);
    expect(merged.experiments[0].stale).toEqual(['train', 'circuits', 'llc']);
    expect(merged.experiments[1].stale).toEqual(['train', 'circuits']);
    // without keysUnder (or without recorded versions) the older rule applies: llc alone, so none is held
    expect(mergeCompact(committed, { study: 's', note: 'n', experiments: [] }, planned).staleKept).toEqual([]);
    const noVersions = { ...committed, experiments: committed.experiments.map(({ versions: _v, ...e }) => e) };
    expect(mergeCompact(noVersions, { study: 's', note: 'n', experiments: [] }, planned, keysUnder).staleKept).toEqual([]);
    // recomputed here under today's keys: the fresh entry replaces the held one once it has the stages the held one had
    const fresh = (name: string, stages: string[]) => ({ ...run(name, 5), stages, versions: vNow, keys: Object.fromEntries(stages.map((s) => [s, (planned.get(name)! as Record<string, string>)[s]])) });
    const next = mergeCompact(merged, { study: 's', note: 'n', experiments: [fresh('g/a-seed=1', ['dataset', 'train', 'circuits']), fresh('g/a-seed=3', ['dataset', 'train', 'circuits'])] }, planned, keysUnder);
    expect(next.staleKept).toEqual(['g/a-seed=1']); // its llc not yet recomputed: the held entry stays whole
    expect(next.merged.experiments.find((e) => e.experiment === 'g/a-seed=3')!.stale).toBeUndefined();
    expect(staleHeld(committed, planned, keysUnder)).toEqual(['g/a-seed=1']); // complete and holdable, before any save (seed 2's training differs)
    expect(staleHeld(committed, planned)).toEqual([]); // without the versions' keys only the llc-alone rule holds
  });

  it('withHeights: a stale entry gets its relaxation heights from its own llc rows, and far relaxations stop being read', () => {
    const e = run('a/b-seed=1', 0); // λ̂ 100 at step 10, 110 at 20, 80 at 40, 70 at 50 (whole model and L0H0)
    const nbeta = 125856;
    const est = (step: number, target: string, llc_mean: number, drop: number | null) => ({ step, target, gamma: 10000, nbeta, llc_mean, loss_checkpoint: drop === null ? Number.NaN : 1 + drop, loss_relaxed: drop === null ? Number.NaN : 1 });
    // step 10's relaxation removed nβ·0.1 = 12,586 = 126 λ̂: far; step 20's 0.001 → 1.1 λ̂; step 40 not relaxed (NaN read from null)
    const rows = [est(10, 'all', 100, 0.1), est(10, 'L0H0', 25, 0.1), est(20, 'all', 110, 0.001), est(40, 'all', 80, null)];
    expect(readableEstimate(e.curve[1].llc.all)).toBe(true);
    const h = withHeights(e, rows);
    expect(h.curve[1].llc.all.height).toBeCloseTo((nbeta * 0.1) / 100, 3);
    expect(h.curve[1].llc.L0H0.height).toBeCloseTo((nbeta * 0.1) / 100, 3); // by the whole model's λ̂
    expect(readableEstimate(h.curve[1].llc.all)).toBe(false);
    expect(readableEstimate(h.curve[1].llc.L0H0)).toBe(false);
    expect(h.curve[2].llc.all.height).toBeCloseTo((nbeta * 0.001) / 110, 3);
    expect(readableEstimate(h.curve[2].llc.all)).toBe(true);
    expect(h.curve[4].llc.all.height).toBeNull(); // not relaxed: unjudged
    expect(h.curve[5].llc.all.height).toBeUndefined(); // no row: left as it was
    expect(e.curve[1].llc.all.height).toBeUndefined(); // the input is not changed
    // a point that already has a height keeps it
    expect(withHeights(h, [est(10, 'all', 100, 0)]).curve[1].llc.all.height).toBe(h.curve[1].llc.all.height);
  });
});
