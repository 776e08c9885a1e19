/**
 * Splitting a study across two "machines" (two scratch workspaces with their own local Nx
 * caches) that share one remote cache server backed by a folder: each runs its shard; then a
 * full run on either machine is all cache hits, and a third machine sharing only the cache folder
 * (through its own server) gets the same.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';
import { blocksReading, mixingOfEstimate, readableEstimate, readChains, readEstimates, relaxHeights } from '@sortscope/llc';
import { findEntries } from '@sortscope/cache-server';

const tmp = useTempDirs('e2e', 'all');

const ROOT = resolve(import.meta.dirname, '../../..');
const SWEEP = {
  base: {
    dataset: { list_length: 4, max_number: 15, n_train: 600, n_validation: 60, n_test: 0 },
    train: { model: { d_model: 16, d_head: 8 }, batch_size: 64, epochs: 2, checkpoints: { log_spaced: 4, linear: 2 }, eval: { validation_rows: 60, train_rows: 60 } },
    circuits: { null_samples: 10, ablation_rows: 60, probe_rows: 30 },
    llc: { batch_size: 32, chains: 2, draws: 10, epsilon: 1e-9, gamma: 1000, checkpoints: { every: 100 } }, // ε this small: acceptance ≈ 1 (the advisory flag) and λ̂ ≈ noise (negative: blocking)
  },
  grid: { 'dataset.noise': [{ kind: 'none' }, { kind: 'token', p: 0.2 }], 'train.seed': [1, 2] },
};

function machine(): string {
  const ws = tmp();
  for (const f of ['package.json', 'package-lock.json', '.gitignore', 'nx.json', '.env', 'tsconfig.json', 'bin', 'tools', 'packages']) {
    cpSync(join(ROOT, f), join(ws, f), { recursive: true, filter: (s) => !s.includes('node_modules') });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(ws, 'node_modules'));
  mkdirSync(join(ws, 'studies', 'tiny'), { recursive: true });
  writeFileSync(join(ws, 'studies/tiny/grid.sweep.json'), JSON.stringify(SWEEP));
  // the report's PNG figures and GIFs are not what this checks (report/src/stage.test.ts does)
  writeFileSync(join(ws, 'studies/tiny/report.json'), JSON.stringify({ figures: false, gifs: false }));
  return ws;
}

function study(ws: string, cacheUrl: string, ...args: string[]): string {
  // CI runners force colours; strip them so the log can be parsed line by line
  return stripVTControlCharacters(
    execFileSync(process.execPath, [join(ws, 'bin/sortscope.mjs'), 'study', 'run', '--study', 'tiny', ...args], {
      cwd: ws,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0', NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cacheUrl, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', SORTSCOPE_QUIET: '1', SORTSCOPE_BACKEND: 'wasm' },
    }),
  );
}

/** `sortscope cache-server` in a child process (the test process blocks while Nx runs). */
/** The fenced code block after `<!-- tested: NAME -->` in docs/artifacts.md. */
function docsBlock(name: string): string {
  const md = readFileSync(join(ROOT, 'docs/artifacts.md'), 'utf8');
  const m = md.match(new RegExp(`<!-- tested: ${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``));
  if (!m) throw new Error(`docs/artifacts.md has no block marked <!-- tested: ${name} -->`);
  return m[1];
}

/** $SORTSCOPE_PYTHON or python3, if it imports polars and pyarrow; else null. */
function pythonWithPolars(): string | null {
  const python = process.env.SORTSCOPE_PYTHON ?? 'python3';
  const r = spawnSync(python, ['-c', 'import polars, pyarrow'], { encoding: 'utf8' });
  return r.status === 0 ? python : null;
}

const servers: ChildProcess[] = [];
afterAll(() => servers.forEach((s) => s.kill()));
async function cacheServer(dir: string, port: number): Promise<{ url: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), 'cache-server', '--dir', dir, '--port', String(port), '--host', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  servers.push(child);
  await new Promise<void>((ok, fail) => {
    child.stderr!.on('data', (d: Buffer) => /serving/.test(String(d)) && ok());
    child.on('exit', (c) => fail(new Error(`cache-server exited with ${c}`)));
  });
  return { url: `http://127.0.0.1:${port}` };
}

describe('a study split across machines with a shared cache', () => {
  it('computes each shard once; a full run anywhere is then all cache hits', async () => {
    const shared = tmp();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const a = await cacheServer(shared, port);
    const [m1, m2, m3] = [machine(), machine(), machine()];
    const s1 = study(m1, a.url, '--shard', '1/2');
    const s2 = study(m2, a.url, '--shard', '2/2');
    const ran = (out: string) => [...out.matchAll(/^> nx run ([a-z]+--\S+):analyze\s*$/gm)].map((x) => x[1]);
    const both = [...ran(s1), ...ran(s2)];
    expect(new Set(both).size).toBe(both.length); // no stage task computed on both machines
    expect(both.filter((t) => t.startsWith('train--'))).toHaveLength(4);
    expect(readdirSync(shared).length).toBeGreaterThan(0);

    const full = study(m1, a.url);
    expect(ran(full)).toEqual([]);
    expect(full).toMatch(/Successfully ran target analyze for 19 projects/); // 2 datasets (seeds share them), 4 × (train, circuits, llc), 4 experiments, the report

    // a third machine, with its own server over the same folder (e.g. another login node)
    const b = await cacheServer(shared, port + 1);
    const third = study(m3, b.url);
    expect(ran(third)).toEqual([]);
    const plan = JSON.parse(execFileSync(process.execPath, [join(m3, 'bin/sortscope.mjs'), 'study', 'list', '--study', 'tiny', '--json'], { cwd: m3, encoding: 'utf8' }));
    for (const r of plan.rows) expect(existsSync(join(m3, 'artifacts', 'llc', r.keys.llc, 'estimates.arrow'))).toBe(true);

    // Nx's own archives name their files: each llc folder is in exactly one entry of the shared cache,
    // and `cache-server forget --folder` takes it out (the servers then answer a miss)
    for (const r of plan.rows) expect(await findEntries(shared, `artifacts/llc/${r.keys.llc}`)).toHaveLength(1);
    const bad = `artifacts/llc/${plan.rows[0].keys.llc}`;
    const [hash] = await findEntries(shared, bad);
    const forget = spawnSync(process.execPath, [join(m3, 'bin/sortscope.mjs'), 'cache-server', 'forget', '--dir', shared, '--folder', bad], { cwd: m3, encoding: 'utf8' });
    expect(forget.status, forget.stderr).toBe(0);
    expect(forget.stdout).toMatch(new RegExp(`^${hash} → .*\\.forgotten-${hash}-\\d+\\n$`));
    expect((await fetch(`${b.url}/v1/cache/${hash}`)).status).toBe(404);

    // study verify: the llc folders restored from the cache recompute to the same bytes, but a
    // self-consistent fake (a changed estimates.arrow with its manifest rewritten), found by name
    const verify = () => spawnSync(process.execPath, [join(m3, 'bin/sortscope.mjs'), 'study', 'verify', '--study', 'tiny', '--sample', '1', '--stages', 'llc'], { cwd: m3, encoding: 'utf8' });
    const fake = join(m3, 'artifacts/llc', plan.rows[1].keys.llc);
    const [original, originalManifest] = [readFileSync(join(fake, 'estimates.arrow')), readFileSync(join(fake, 'manifest.json'))];
    const est = Buffer.from(original);
    est[est.length - 100] ^= 0xff;
    writeFileSync(join(fake, 'estimates.arrow'), est);
    const manifest = JSON.parse(readFileSync(join(fake, 'manifest.json'), 'utf8'));
    manifest.files['estimates.arrow'] = createHash('sha256').update(est).digest('hex');
    writeFileSync(join(fake, 'manifest.json'), JSON.stringify(manifest));
    const caught = verify();
    expect(caught.status).toBe(3);
    expect(caught.stderr).toMatch(new RegExp(`1 of 4 recomputed tasks differ from the folders here:\\n  artifacts/llc/${plan.rows[1].keys.llc}: estimates.arrow differ from a recomputation`));
    expect(caught.stderr).toMatch(/cache-server forget/);
    expect(caught.stderr.match(/ identical /g)).toHaveLength(3); // the other three, one progress line each
    writeFileSync(join(fake, 'estimates.arrow'), original); // put back: findings below reads it
    writeFileSync(join(fake, 'manifest.json'), originalManifest);

    // a folder damaged without its manifest rewritten: `report` writes the page without it and exits 3,
    // naming the folder and the reason even under --quiet
    const chainsFile = join(fake, 'chains.arrow');
    const chains = readFileSync(chainsFile);
    writeFileSync(chainsFile, Buffer.concat([chains, Buffer.from([0])]));
    const damaged = spawnSync(process.execPath, [join(m3, 'bin/sortscope.mjs'), 'report', '--study', 'tiny', '--quiet', '--figures', 'false', '--gifs', 'false', '--out', join(tmp(), 'damaged-report')], { cwd: m3, encoding: 'utf8' });
    expect(damaged.status, damaged.stderr).toBe(3);
    expect(damaged.stderr).toMatch(new RegExp(`without 1 stage folder\\(s\\) it refused .*:\\n  ${plan.rows[1].experiment} llc: .*chains\\.arrow`));
    writeFileSync(chainsFile, chains);

    // findings --save writes the compact results (its curves are findings' counts, checked below)
    const findings = (...args: string[]) => spawnSync(process.execPath, [join(m3, 'bin/sortscope.mjs'), 'findings', '--study', 'tiny', ...args], { cwd: m3, encoding: 'utf8' });
    const results = join(m3, 'docs/findings/tiny.json');
    expect(findings('--save').status).toBe(0);
    const saved = readFileSync(results, 'utf8');
    type Curve = { step: number; llc: { all?: { flagged: number } } }[];
    const compact = JSON.parse(saved) as { experiments: { experiment: string; curve: Curve }[] };
    const first = compact.experiments[0];
    expect(JSON.parse(findings('--curve', first.experiment, '--json', '--quiet').stdout)).toEqual(first.curve);

    // one flag vocabulary: the chains whose flags block reading, counted alike by estimates.arrow,
    // chains.arrow, the report's summary.json and findings; found through the report's experiments.json
    const report = join(m3, 'artifacts/report-tiny');
    const index = JSON.parse(readFileSync(join(report, 'experiments.json'), 'utf8')).experiments as { name: string; stages: { llc: { folder: string; ready: boolean } } }[];
    const summary = JSON.parse(readFileSync(join(report, 'summary.json'), 'utf8')).experiments as { experiment: string; llc: { step: number; flagged_chains: number } }[];
    expect(index.map((e) => e.name).sort()).toEqual(plan.rows.map((r: { experiment: string }) => r.experiment).sort());
    let [advisory, blocked] = [0, 0];
    for (const e of index) {
      expect(e.stages.llc.ready).toBe(true);
      const dir = join(m3, 'artifacts', e.stages.llc.folder);
      const est = readEstimates(join(dir, 'estimates.arrow')).rows.filter((r) => r.target === 'all').sort((x, y) => x.step - y.step);
      const chains = readChains(join(dir, 'chains.arrow')).rows.filter((r) => r.target === 'all');
      const blocking = (step: number) => chains.filter((c) => c.step === step && blocksReading(c.flags)).length;
      advisory += chains.filter((c) => c.flags.length > 0 && !blocksReading(c.flags)).length;
      blocked += chains.filter((c) => blocksReading(c.flags)).length;
      expect(est.map((r) => [r.step, r.flagged_chains])).toEqual(est.map((r) => [r.step, blocking(r.step)]));
      const s = summary.find((x) => x.experiment === e.name)!;
      expect([s.llc.step, s.llc.flagged_chains]).toEqual([est.at(-1)!.step, est.at(-1)!.flagged_chains]);
      // findings' curve, as `findings --save` wrote it (`findings --curve` prints the same, checked above)
      const curve = compact.experiments.find((x) => x.experiment === e.name)!.curve;
      expect(curve.filter((r) => r.llc.all).map((r) => [r.step, r.llc.all!.flagged])).toEqual(est.map((r) => [r.step, r.flagged_chains]));
    }
    // both kinds occur (chains flagged only acceptance_high, and blocked ones), so the counts above tell the vocabularies apart
    expect(advisory).toBeGreaterThan(0);
    expect(blocked).toBeGreaterThan(0);

    // findings --save across sessions (the first save is above): a second save takes every entry whose stage keys match the
    // verified artifacts from the committed file (the same bytes); an entry of another compact format
    // is recomputed; --check recomputes them all and compares
    const again = findings('--save');
    expect(again.stderr).toMatch(/findings: 4 of 4 experiments taken from docs\/findings\/tiny\.json/);
    expect(readFileSync(results, 'utf8')).toBe(saved);
    const older = JSON.parse(saved);
    delete older.experiments[0].format; // written by a version of the compact form that had none
    older.experiments[0].facts.val_loss = 123;
    writeFileSync(results, JSON.stringify(older));
    expect(findings('--save').stderr).toMatch(/findings: 3 of 4 experiments taken from/);
    expect(readFileSync(results, 'utf8')).toBe(saved);
    const check = findings('--check');
    expect(check.status).toBe(0);
    expect(check.stderr).toMatch(/the artifacts reproduce docs\/findings\/tiny\.json \(4 experiments\)/);
    expect(check.stderr).not.toMatch(/taken from/);
    // an entry held stale (an earlier llc version's numbers, compact-file.ts mergeCompact) is not checked against today's artifacts
    const held = JSON.parse(saved);
    held.experiments[0].stale = ['llc'];
    held.experiments[0].facts.val_loss = 123;
    writeFileSync(results, JSON.stringify(held));
    const checkStale = findings('--check');
    expect(checkStale.status, checkStale.stderr).toBe(0);
    expect(checkStale.stderr).toMatch(/the artifacts reproduce docs\/findings\/tiny\.json \(3 experiments; 1 held stale from an earlier llc version are not checked\)/);
    delete held.experiments[0].stale; // without the mark the same difference is found
    writeFileSync(results, JSON.stringify(held));
    expect(findings('--check').stderr).toMatch(/--check: the artifacts differ from docs\/findings\/tiny\.json:\n {2}.*val_loss: 123 vs/);
    writeFileSync(results, saved);

    // docs/artifacts.md's polars loader on this study, where a Python with polars and pyarrow exists
    const python = pythonWithPolars();
    if (python) {
      const code = `${docsBlock('study-loader')}\nf = load_study("tiny")\nprint(json.dumps({"rows": f.height, "experiments": sorted(set(f["experiment"])), "cols": f.columns[:3]}))\n`;
      const got = JSON.parse(execFileSync(python, ['-c', code], { cwd: m3, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } }));
      expect(got.experiments).toEqual([...plan.rows.map((r: { experiment: string }) => r.experiment)].sort());
      expect(got.cols).toEqual(['step', 'target', 'llc_mean']);
      expect(got.rows).toBeGreaterThanOrEqual(4);
      // docs/artifacts.md's reading rule in Python gives the TypeScript rule's mixing and verdicts (llc readable.ts)
      const rule = `${docsBlock('readable-rule')}\nimport glob\nprint(json.dumps({p: [[r["step"], r["target"], r["readable"], r["mixing"]] for r in readable_estimates(p).iter_rows(named=True)] for p in sorted(glob.glob("artifacts/llc/*/estimates.arrow"))}))\n`;
      const py = JSON.parse(execFileSync(python, ['-c', rule], { cwd: m3, encoding: 'utf8' })) as Record<string, [number, string, boolean, number | null][]>;
      expect(Object.keys(py).length).toBe(plan.rows.length);
      for (const [path, rows] of Object.entries(py)) {
        const { rows: est, meta } = readEstimates(join(m3, path));
        const heightOf = relaxHeights(est);
        expect(rows.map((r) => [r[0], r[1]])).toEqual(est.map((r) => [r.step, r.target]));
        est.forEach((r, i) => {
          const mixing = mixingOfEstimate(meta.config as { burnin: number; steps_between_draws: number }, r);
          expect(mixing).not.toBeNull(); // canonical chains without a preconditioner always have an m
          expect(rows[i][3]).toBeCloseTo(mixing!, 10);
          expect(rows[i][2]).toBe(readableEstimate({ mean: r.llc_mean, std: r.llc_std, flagged: r.flagged_chains, mixing, height: heightOf(r) }));
        });
      }
      // issue #30 in Python: "not applicable" reads as null, never NaN or −1 (train v2, circuits v2)
      const nulls = `import glob, json, polars as pl
out = {"train": [], "spec": [], "qkpos": []}
for p in sorted(glob.glob("artifacts/train/*/metrics-checkpoints.arrow")):
    f = pl.read_ipc(p)
    out["train"].append([f.height, f["train_noisy_loss"].null_count(), int(f["train_noisy_loss"].is_nan().sum() or 0), f["validation_loss"].null_count()])
for p in sorted(glob.glob("artifacts/circuits/*/specialisation.arrow")):
    f = pl.read_ipc(p)
    out["spec"].append([int((f["copy_suppression_partner"] == -1).sum() or 0), int(f["ablation_loss_increase"].is_nan().sum() or 0)])
for p in sorted(glob.glob("artifacts/circuits/*/measures.arrow")):
    f = pl.read_ipc(p).filter(pl.col("circuit") == "QK_pos")
    out["qkpos"].append([f.height, f["ev"].null_count(), f["ev_z_inner"].null_count()])
print(json.dumps(out))
`;
      const nn = JSON.parse(execFileSync(python, ['-c', nulls], { cwd: m3, encoding: 'utf8' })) as { train: number[][]; spec: number[][]; qkpos: number[][] };
      expect(nn.train.length).toBeGreaterThan(0);
      for (const [rows, noisyNull, noisyNaN, valNull] of nn.train) {
        expect(noisyNaN).toBe(0);
        expect([0, rows]).toContain(noisyNull); // all null (clean data) or all present (noisy data)
        expect(valNull).toBe(0);
      }
      expect(nn.spec.length).toBeGreaterThan(0);
      for (const [minusOne, nan] of nn.spec) expect([minusOne, nan]).toEqual([0, 0]);
      for (const [rows, evNull, zNull] of nn.qkpos) expect([evNull, zNull]).toEqual([rows, rows]);
      // its min_mixing branch: the same llc stage with the burn-in lengthened (here to its cap,
      // 20 × max_draws steps: ε 1e-9 and γ 1,000 give m = 5e-7 per step)
      const lengthened = tmp();
      const llc = spawnSync(process.execPath, [join(m3, 'bin/sortscope.mjs'), 'llc', '--config', plan.rows[0].file, '--min_mixing', '1.2', '--out-dir', lengthened, '--quiet'], { cwd: m3, encoding: 'utf8', env: { ...process.env, SORTSCOPE_BACKEND: 'wasm' } });
      expect(llc.status, llc.stderr).toBe(0);
      const path = join(lengthened, 'estimates.arrow');
      const ruleOne = `${docsBlock('readable-rule')}\nprint(json.dumps([[r["readable"], r["mixing"]] for r in readable_estimates(${JSON.stringify(path)}).iter_rows(named=True)]))\n`;
      const pyOne = JSON.parse(execFileSync(python, ['-c', ruleOne], { cwd: m3, encoding: 'utf8' })) as [boolean, number | null][];
      const { rows: est, meta } = readEstimates(path);
      const heightOne = relaxHeights(est);
      const config = meta.config as { burnin: number; steps_between_draws: number; min_mixing?: number; draws: number; max_draws?: number };
      expect(config.min_mixing).toBe(1.2);
      expect(pyOne).toHaveLength(est.length);
      est.forEach((r, i) => {
        const mixing = mixingOfEstimate(config, r)!;
        const fixed = mixingOfEstimate({ ...config, min_mixing: undefined }, r)!;
        expect(mixing).toBeGreaterThan(fixed * 1.5); // the burn-in was lengthened
        expect(pyOne[i][1]).toBeCloseTo(mixing, 10);
        expect(pyOne[i][0]).toBe(readableEstimate({ mean: r.llc_mean, std: r.llc_std, flagged: r.flagged_chains, mixing, height: heightOne(r) }));
      });
    } else console.warn('study-e2e: no Python with polars and pyarrow (set SORTSCOPE_PYTHON): the docs loader was not run');
  }, 900_000);
});
