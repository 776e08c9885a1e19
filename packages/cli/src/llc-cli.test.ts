/**
 * The llc stage through the CLI on a tiny training run: results do not depend on the number of
 * workers; a killed run resumes to the same files; --weights prints the estimate as JSON;
 * calibrate reports a surface and a recommendation; diagnose runs the parts of its sweep it is given.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readEstimates } from '@sortscope/llc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStageFolders } from './testing.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/sortscope.mjs');
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });

const TINY = {
  dataset: { list_length: 4, max_number: 15, n_train: 2000, n_validation: 200, n_test: 0 },
  train: { model: { d_model: 16, d_head: 8 }, batch_size: 32, epochs: 3, checkpoints: { log_spaced: 8, linear: 4 }, eval: { validation_rows: 200, train_rows: 200 } },
  llc: { gamma: 1000, batch_size: 32, chains: 3, draws: 30, burnin: 10, checkpoints: { every: 3 }, targets: [{ kind: 'all' }, { kind: 'head', head: 1 }] },
};

let dir: string;
let exp: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-llc-'));
  exp = join(dir, 'tiny.json');
  writeFileSync(exp, JSON.stringify(TINY));
  expect(cli(['dataset', '--config', exp, '--quiet']).status).toBe(0);
  expect(cli(['train', '--config', exp, '--quiet', '--backend', 'wasm']).status).toBe(0);
}, 600_000);
afterAll(() => {
  removeStageFolders(ROOT, BIN, [exp]);
  rmSync(dir, { recursive: true, force: true });
});

describe('sortscope llc (CLI)', () => {
  it('refuses a target the model does not have before writing anything', () => {
    const out = join(dir, 'bad-target');
    const r = cli(['llc', '--config', exp, '--out-dir', out, '--targets', '[{"kind":"head","layer":0,"head":7}]', '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/llc\.targets: got head 0\.7; expected layer < 1 and head < 2/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(out, 'partial'))).toBe(false);
  });

  it('gives the same files with 1 or 2 workers, and resumes a killed run to the same files', async () => {
    const one = cli(['llc', '--config', exp, '--out-dir', join(dir, 'one'), '--workers', '1', '--quiet', '--backend', 'wasm']);
    expect(one.stderr).toBe('');
    expect(cli(['llc', '--config', exp, '--out-dir', join(dir, 'two'), '--workers', '2', '--quiet', '--backend', 'wasm']).status).toBe(0);
    for (const f of ['estimates.arrow', 'chains.arrow', 'traces.arrow']) expect(readFileSync(join(dir, 'one', f)).equals(readFileSync(join(dir, 'two', f)))).toBe(true);

    const est = readEstimates(join(dir, 'one', 'estimates.arrow'));
    expect(new Set(est.rows.map((r) => r.target))).toEqual(new Set(['all', 'L0H1']));
    expect(est.rows.every((r) => Number.isFinite(r.llc_mean) && Number.isFinite(r.llc_std))).toBe(true);
    expect(est.meta.config).toMatchObject({ method: 'canonical', gamma: 1000, epsilon_fraction: 0.05 });
    // the canonical estimator: nβ = T·n/ln n of the 2,000 training rows of T = 4 scored tokens, ε a fraction of the
    // measured stability limit, the loss tilted, the chains assessed (and lengthened from 30 draws where they did not settle)
    for (const r of est.rows) {
      expect(r.method).toBe('canonical');
      expect(r.nbeta).toBeCloseTo((4 * 2000) / Math.log(2000), 8);
      expect(r).toMatchObject({ gamma: 1000, tilt: true, control_variate: true, preconditioner: 'none' });
      expect(r.resolution).toBeCloseTo(1000 / r.nbeta, 12);
      expect(r.draws).toBeGreaterThanOrEqual(30);
      expect(r.draws).toBeLessThanOrEqual(240);
      expect(Number.isFinite(r.rhat) && Number.isFinite(r.decrement) && r.gradient_norm > 0).toBe(true);
      expect(r.epsilon / r.epsilon_limit).toBeCloseTo(0.05, 8);
      expect(r.lambda_max).toBeGreaterThan(0);
      expect(Object.keys(r.norms)).toContain('embed.W_E');
    }

    const out = join(dir, 'killed');
    const child = spawn(process.execPath, [BIN, 'llc', '--config', exp, '--out-dir', out, '--workers', '1', '--quiet', '--backend', 'wasm'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    const partial = join(out, 'partial');
    while (child.exitCode === null && !(existsSync(partial) && readdirSync(partial).filter((f) => f.endsWith('.json.sha256')).length >= 3)) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    // one saved checkpoint cut short (as a full disk leaves it): recomputed, not a SyntaxError on every rerun
    // the checkpoints saved whole (file and seal); a third one sound, so the rerun resumes
    const saved = readdirSync(partial).filter((f) => f.endsWith('.json.sha256')).map((f) => f.replace(/\.sha256$/, '')).sort();
    truncateSync(join(partial, saved[0]), 40);
    // another edited but still valid JSON (λ̂ of its first chain changed): found by its seal, not trusted
    const edited = JSON.parse(readFileSync(join(partial, saved[1]), 'utf8'));
    edited[0].estimate.chains[0].llc += 1;
    writeFileSync(join(partial, saved[1]), JSON.stringify(edited));
    const resumed = cli(['llc', '--config', exp, '--out-dir', out, '--workers', '2', '--backend', 'wasm']);
    expect(resumed.status).toBe(0);
    for (const f of saved.slice(0, 2)) expect(resumed.stderr).toMatch(new RegExp(`llc: .*${f} was changed after it was written \\(sha256 .*\\); recomputing that checkpoint`));
    expect(resumed.stderr).toMatch(/resuming \(\d+ checkpoints done\)/);
    for (const f of ['estimates.arrow', 'chains.arrow', 'traces.arrow']) expect(readFileSync(join(out, f)).equals(readFileSync(join(dir, 'one', f)))).toBe(true);
  }, 600_000);

  it('--weights prints mean, std, per-chain values and acceptance as JSON; calibrate recommends', () => {
    const plan = JSON.parse(cli(['plan', '--json', exp]).stdout);
    const weights = join(ROOT, plan[0].stages.train.dir, 'final.safetensors');
    writeFileSync(join(dir, 'bad.u8'), new Uint8Array(10));
    const bad = cli(['llc', '--weights', weights, '--data', join(dir, 'bad.u8'), '--quiet']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/10 bytes is not a whole number of 9-token rows/);
    // 9-token rows of another vocabulary (numbers 0..9, SEP 10 < d_vocab 17): refused, not sampled on (#29 W73)
    writeFileSync(join(dir, 'other.u8'), Uint8Array.from({ length: 18 }, (_, i) => (i % 9 === 4 ? 10 : i % 9 < 4 ? i % 9 : 9 - (i % 9))));
    const other = cli(['llc', '--weights', weights, '--data', join(dir, 'other.u8'), '--quiet']);
    expect(other.status).toBe(3);
    expect(other.stderr).toMatch(/other\.u8: row 0 has token 10 where SEP \(16\) belongs/);
    // the tiny run's own 2,000 training rows: the default training set (150,000 rows) would make the
    // relaxation of this early model take 6 Newton steps over it (3× the whole call's time)
    const train = join(ROOT, plan[0].stages.dataset.dir, 'train.arrow');
    // min_mixing 0: the fixed burn-in (the default before llc 7), to see a reading refused for too little mixing
    const short = ['--config', exp, '--weights', weights, '--data', train, '--chains', '2', '--draws', '20', '--min_mixing', '0', '--json', '--quiet'];
    const ok = cli(['llc', ...short]);
    expect(ok.status).toBe(0);
    const json = JSON.parse(ok.stdout);
    expect(json.summary.results[0]).toMatchObject({ target: 'all', per_chain: [expect.any(Number), expect.any(Number)], acceptance: expect.any(Number) });
    expect(json.summary.data_rows).toBe(2000);
    expect(json.summary.results[0].sampler.nbeta).toBeCloseTo((4 * 2000) / Math.log(2000), 6);
    expect(json.summary.results[0].convergence).toMatchObject({ draws: expect.any(Number), rhat: expect.any(Number), stable: expect.any(Boolean) });
    expect(json.summary.results[0].stationarity).toMatchObject({ tilt: true, decrement: expect.any(Number), relaxation: { converged: true } });
    // the reading verdict: m = S·εγ/2 at the first draw read (S = burnin + half the draws), and whether λ̂ can be read
    const r0 = json.summary.results[0];
    expect(r0.mixing).toBeCloseTo(((json.summary.burnin + Math.floor(r0.convergence.draws / 2)) * r0.sampler.epsilon * r0.sampler.gamma) / 2, 10);
    expect(r0.mixing).toBeLessThan(Math.log(10) / 2); // 20 draws cannot relax the chains: not readable, whatever else holds
    expect(r0.readable).toBe(false);
    expect(r0.reason).toMatch(/^(\d+ chains? flagged|chains disagree|chains not relaxed)/);
    // min_mixing (1.2 by default since llc 7) lengthens the burn-in until m reaches it (the same ε: it is set before the chains run)
    const mixed = JSON.parse(cli(['llc', '--config', exp, '--weights', weights, '--data', train, '--chains', '2', '--draws', '20', '--json', '--quiet']).stdout).summary.results[0];
    expect(mixed.sampler.epsilon).toBe(r0.sampler.epsilon);
    expect(mixed.mixing).toBeGreaterThanOrEqual(1.2);
    expect(mixed.mixing).toBeLessThan(1.2 + (mixed.sampler.epsilon * mixed.sampler.gamma) / 2 + 1e-12); // the least such burn-in
    expect(mixed.reason ?? '').not.toMatch(/not relaxed/);
    const raw = JSON.parse(cli(['llc', '--config', exp, '--weights', weights, '--method', 'sgld', '--chains', '2', '--draws', '20', '--json', '--quiet']).stdout);
    expect(raw.summary.results[0].sampler).toMatchObject({ method: 'sgld', epsilon: 1e-4 });
    expect(raw.summary.results[0].sampler.nbeta).toBeCloseTo(32 / Math.log(32), 10);
    expect(raw.summary.data_rows).toBe(150_000); // --weights without --data: a fresh default training set
    // the Box–Muller noise stream (the default up to llc 4.1): recorded, another key, other chains (same data, same init_loss)
    const bm = JSON.parse(cli(['llc', ...short, '--noise_stream', 'box-muller']).stdout);
    expect(bm.summary.noise_stream).toBe('box-muller');
    expect(json.summary.noise_stream).toBe('ziggurat');
    expect(bm.key).not.toBe(json.key);
    expect(bm.summary.results[0].init_loss).toBe(json.summary.results[0].init_loss);
    expect(bm.summary.results[0].per_chain).not.toEqual(json.summary.results[0].per_chain);

    const cal = cli(['llc', 'calibrate', '--config', exp, '--chains', '2', '--draws', '24', '--epsilons', '1e-5,1e-4,1e-3', '--gammas', '1000', '--json', '--quiet']);
    expect(cal.status).toBe(0);
    const c = JSON.parse(cal.stdout);
    expect(c.points).toHaveLength(3);
    expect(c.points.map((p: { epsilon: number }) => p.epsilon)).toEqual([1e-5, 1e-4, 1e-3]);
    expect(c.points.every((p: { spread: number | null }) => typeof p.spread === 'number')).toBe(true);
    expect(typeof c.note).toBe('string');
  }, 600_000);

  it('diagnose --sweep --only length runs the chain-length sweep alone (fixed lengths ×1, ×2, ×4); a bad --only is refused', () => {
    const r = cli(['llc', 'diagnose', '--config', exp, '--chains', '2', '--draws', '20', '--sweep', '--only', 'length', '--no-invariance', '--json', '--quiet']);
    expect(r.stderr).toBe('');
    const d = JSON.parse(r.stdout);
    expect(d.sweeps.length.map((p: { value: number }) => p.value)).toEqual([20, 40, 80]);
    expect(d.sweeps.length.map((p: { draws: number }) => p.draws)).toEqual([20, 40, 80]); // fixed: never lengthened
    expect(d.sweeps).toMatchObject({ gamma: [], epsilon_fraction: [], nbeta: [], nbeta_fixed_resolution: [], restricted: [] });
    expect(d.reparametrization).toEqual([]);
    expect(d.verdict.some((v: string) => /^chain length: .*4× longer moves it by/.test(v))).toBe(true);
    expect(d.verdict.some((v: string) => /γ sweep/.test(v))).toBe(false);

    const bad = cli(['llc', 'diagnose', '--config', exp, '--sweep', '--only', 'length,temperature', '--quiet']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--only: expected a comma-separated list of gamma, epsilon, nbeta, length, heads; got 'length,temperature'/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const alone = cli(['llc', 'diagnose', '--config', exp, '--only', 'length', '--quiet']);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toMatch(/--only chooses parts of --sweep/);
  }, 600_000);
});
