import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';
import { ENTRIES } from './main.ts';

const tmp = useTempDirs('cli', 'all');

const ROOT = resolve(import.meta.dirname, '../../..');
function cli(args: string[], cwd = ROOT, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDir = tmp;
const TINY = { dataset: { list_length: 4, max_number: 15, n_train: 40, n_validation: 10, n_test: 0 } };

/** A refused command line: exit 2, one clear line naming the problem, no stack trace. */
function expectRefused(r: { code: number | null; stderr: string; stdout: string }, message: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^sortscope: ConfigError: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

describe('sortscope CLI', () => {
  it('lists commands, and shows generated help for each', () => {
    expect(cli(['--help']).stdout).toMatch(/Commands:\n\s+dataset\s+Generate the sorting datasets/);
    const help = cli(['dataset', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--noise\.kind <none\|permute\|replace-sorted\|insert-sorted\|token>/);
  });

  it('exits 2 and writes nothing on a bad config file', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ dataset: { noise: { kind: 'permute', p: 1.5 } } }));
    const r = cli(['dataset', '--config', join(dir, 'bad.json'), '--out-dir', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dataset\.noise\.p: got 1\.5; expected a number <= 1/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('exits 2 on an unknown flag or command', () => {
    expect(cli(['dataset', '--n_trian', '5']).code).toBe(2);
    expect(cli(['datset']).code).toBe(2);
  });

  it('writes the datasets and a JSON summary; the same config gives the same bytes', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'e.json'), JSON.stringify({ dataset: { n_train: 500, n_validation: 50, n_test: 50, noise: { kind: 'permute', p: 1 } } }));
    const a = cli(['dataset', '--config', join(dir, 'e.json'), '--out-dir', join(dir, 'a'), '--json', '--quiet']);
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    const summary = JSON.parse(a.stdout);
    expect(summary.summary.bayes_loss.mean).toBeCloseTo(1.5104, 4);
    const b = cli(['dataset', '--config', join(dir, 'e.json'), '--n_train', '500', '--out-dir', join(dir, 'b'), '--quiet']);
    expect(b.code).toBe(0);
    expect(readFileSync(join(dir, 'a/train.arrow')).equals(readFileSync(join(dir, 'b/train.arrow')))).toBe(true);
  });

  it('refuses to run a stale Nx target (key mismatch)', () => {
    const r = cli(['dataset', '--expect-key', '0000000000000000', '--out-dir', join(tmp(), 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/resolves to key [0-9a-f]{16}, expected 0000000000000000/);
  });
});

describe('sortscope refuses bad command lines (exit 2, a clear message, nothing written)', () => {
  it('a stray positional word, suggesting --config when it looks like a file', () => {
    const out = join(tempDir(), 'out');
    const r = cli(['dataset', 'experiments/permute-p1.json', '--out-dir', out]);
    expectRefused(r, /unexpected argument "experiments\/permute-p1\.json": 'sortscope dataset' takes no positional arguments \(did you mean --config experiments\/permute-p1\.json\?\)/);
    expect(existsSync(out)).toBe(false);
    expectRefused(cli(['train', '--out-dir', out, 'extra']), /unexpected argument "extra": 'sortscope train' takes no positional arguments; see 'sortscope train --help'/);
    expectRefused(cli(['report', 'now']), /unexpected argument "now": 'sortscope report' takes no positional arguments/);
    expect(existsSync(out)).toBe(false);
  });

  it('a boolean flag followed by a word other than true/false/1/0/yes/no', () => {
    const dir = tempDir();
    expectRefused(cli(['dataset', '--distinct', 'maybe', '--out-dir', join(dir, 'a')]), /--distinct \(dataset\.distinct\): got "maybe"; expected true, false, 1, 0, yes or no \(a bare --distinct means true\)/);
    expectRefused(cli(['report', '--figures', 'maybe', '--out', join(dir, 'r')]), /--figures \(report\.figures\): got "maybe"; expected true, false, 1, 0, yes or no/);
    expect(readdirSync(dir)).toEqual([]);
    // the accepted words work, and `no` means false
    writeFileSync(join(dir, 'e.json'), JSON.stringify(TINY));
    const ok = cli(['dataset', '--config', join(dir, 'e.json'), '--distinct', 'no', '--out-dir', join(dir, 'b'), '--json', '--quiet']);
    expect(ok.code).toBe(0);
    const yes = cli(['dataset', '--config', join(dir, 'e.json'), '--distinct', 'yes', '--out-dir', join(dir, 'c'), '--quiet']);
    expect(yes.code).toBe(0);
    expect(readFileSync(join(dir, 'b/train.arrow')).equals(readFileSync(join(dir, 'c/train.arrow')))).toBe(false);
  });

  it('a number that is not finite, named as typed', () => {
    const out = join(tempDir(), 'out');
    expectRefused(cli(['train', '--lr', 'Infinity', '--out-dir', out]), /--lr \(train\.lr\): got Infinity; expected a finite number/);
    expectRefused(cli(['train', '--lr', '1e400', '--out-dir', out]), /--lr \(train\.lr\): got 1e400 \(overflows\); expected a finite number/);
    expectRefused(cli(['train', '--epochs', '1.5', '--out-dir', out]), /train\.epochs: got 1\.5; expected an integer/);
    expect(existsSync(out)).toBe(false);
  });

  it('--out-dir naming an existing file, or a path through one', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'afile'), 'keep');
    expectRefused(cli(['dataset', '--out-dir', join(dir, 'afile')]), new RegExp(`--out-dir ${join(dir, 'afile')}: ${join(dir, 'afile')} is an existing file; expected a folder`));
    expectRefused(cli(['dataset', '--out-dir', join(dir, 'afile', 'x')]), new RegExp(`${join(dir, 'afile')} is a file, so the folder ${join(dir, 'afile', 'x')} cannot be created`));
    expect(readFileSync(join(dir, 'afile'), 'utf8')).toBe('keep');
    expect(readdirSync(dir)).toEqual(['afile']);
  });

  it('SORTSCOPE_STUDY=.. (a path, not a study)', () => {
    expectRefused(cli(['study', 'list'], ROOT, { SORTSCOPE_STUDY: '..' }), /SORTSCOPE_STUDY: got "\.\."; expected a study name, .*one of quick, /);
    expectRefused(cli(['study', 'list', '--study', '../experiments']), /--study: got "\.\.\/experiments"; expected a study name/);
  });
});

describe('paths on the command line are relative to the current folder', () => {
  it('--config and --out-dir from a folder outside the repository', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'e.json'), JSON.stringify(TINY));
    const r = cli(['dataset', '--config', 'e.json', '--out-dir', 'out', '--quiet'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'out', 'train.arrow'))).toBe(true);
  });

  it('--config experiments/baseline.json from the repository root, ../experiments/… from a sub-folder', () => {
    const found = /experiments\/baseline\.json: the dataset section resolves to key [0-9a-f]{16}, expected 0000000000000000/;
    expectRefused(cli(['dataset', '--config', 'experiments/baseline.json', '--expect-key', '0000000000000000']), found);
    expectRefused(cli(['dataset', '--config', '../experiments/baseline.json', '--expect-key', '0000000000000000'], join(ROOT, 'packages')), found);
    expectRefused(cli(['dataset', '--config', 'experiments/baseline.json'], join(ROOT, 'packages')), /--config experiments\/baseline\.json: no such file .*packages\/experiments\/baseline\.json \(paths on the command line are relative to the current folder/);
  });
});

describe('command-line conventions', () => {
  it('--version and -v print the version from package.json (exit 0)', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-v']) {
      const r = cli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`sortscope ${version}\n`);
      expect(r.stderr).toBe('');
    }
  });

  it('a group alone lists its commands (exit 2, a usage error); with --help or as `help study`, exit 0', () => {
    const bare = cli(['study']);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toMatch(/^Usage: sortscope study <command>/);
    for (const sub of ['run', 'list', 'jobs']) expect(bare.stdout).toMatch(new RegExp(`\\n  study ${sub} +\\S`));
    expect(bare.stderr).toBe('');
    for (const args of [['study', '--help'], ['help', 'study']]) {
      const r = cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(bare.stdout);
    }
  });

  it('suggests the closest command for a mistyped one, and the closest option', () => {
    const cases: [string[], string][] = [
      [['trian'], 'unknown command "trian"; did you mean "train"?'],
      [['evl', '--weights', 'w.safetensors'], 'unknown command "evl"; did you mean "eval"?'],
      [['llc', 'calibrat'], 'unknown command "llc calibrat"; did you mean "llc calibrate"?'],
      [['study', 'rn'], 'unknown command "study rn"; did you mean "study run"?'],
      [['stduy', 'lst'], 'unknown command "stduy"; did you mean "study list"?'],
      [['cache'], 'unknown command "cache"; did you mean "cache-server"?'],
      [['--verison'], 'unknown option --verison; did you mean --version?'],
      [['xyzzy'], 'unknown command "xyzzy"; see \'sortscope --help\' for the commands'],
    ];
    for (const [args, message] of cases) expectRefused(cli(args), new RegExp(`^sortscope: ConfigError: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
    // flags: the parser suggests the closest flag of the command
    expectRefused(cli(['train', '--quite']), /unknown flag --quite for 'sortscope train' \(did you mean --quiet\?\)/);
  });

  it('answers --help, a stage\'s --help and a mistyped command without loading the stages', () => {
    // which modules each command resolves, recorded by a module resolve hook registered before tsx's
    // (a structural check: the stages' code took 2–3 s to import, and a time bound failed on busy machines)
    const dir = tmp();
    const hook = join(dir, 'trace-imports.mjs');
    writeFileSync(
      hook,
      `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(
        "import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.TRACE_IMPORTS_FILE, r.url + '\\n'); return r; }",
      )}));\n`,
    );
    // the stages' runtime code: the engines, tfjs, Arrow, a stage's run or index module
    const heavy = /node_modules\/(@tensorflow|apache-arrow)\/|packages\/(engine|report|workspace)\/|packages\/[a-z-]+\/src\/(stage|run|index)\.ts/;
    const traced = (args: string[]) => {
      const file = join(dir, `${args.join('_').replace(/[^a-z_]/g, '')}.txt`);
      const r = spawnSync(process.execPath, ['--import', hook, join(ROOT, 'bin/sortscope.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TRACE_IMPORTS_FILE: file } });
      return { code: r.status, stdout: r.stdout, urls: readFileSync(file, 'utf8').trim().split('\n') };
    };
    for (const args of [['--help'], ['train', '--help'], ['trian'], ['dataset', '--n_trian', '5']]) {
      const r = traced(args);
      expect(r.code === 0 || r.code === 2).toBe(true);
      expect(r.urls.some((u) => u.includes('packages/cli/src/main.ts'))).toBe(true); // the hook saw the CLI load
      expect(r.urls.filter((u) => heavy.test(u)), `sortscope ${args.join(' ')}`).toEqual([]);
    }
    expect(traced(['train', '--help']).stdout).toMatch(/--lr <number>/);
    // a stage's config is validated, and `plan` lists the keys, from the config modules alone (the
    // workspace's experiment, sweep and plan modules): no engine, tfjs, Arrow, stage guard or stage code
    const stageCode = /node_modules\/(@tensorflow|apache-arrow)\/|packages\/(engine|report)\/|packages\/(?!core\/)[a-z-]+\/src\/(stage|stage-guard|run|index)\.ts/; // core/src/stage.ts: the stage key, no code
    for (const args of [['train', '--epochs', 'abc'], ['llc', '--gamma', '-1'], ['plan', '--json']]) {
      const r = traced(args);
      expect(r.code, `sortscope ${args.join(' ')}`).toBe(args[0] === 'plan' ? 0 : 2);
      expect(r.urls.some((u) => u.includes('packages/workspace/src/experiment.ts'))).toBe(true);
      expect(r.urls.filter((u) => stageCode.test(u)), `sortscope ${args.join(' ')}`).toEqual([]);
    }
    // findings prints the claims from committed compact results with the light modules alone (it took
    // 3.5 CPU-s loading Arrow, the report's readers and the engines for that)
    const printed = traced(['findings', '--study', 'claims', '--from', join(ROOT, 'docs/findings/claims.json'), '--claims', '--quiet']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/\| 1b \|/);
    expect(printed.urls.some((u) => u.includes('packages/findings/src/verdicts.ts'))).toBe(true);
    expect(printed.urls.filter((u) => stageCode.test(u)), 'sortscope findings --claims').toEqual([]);
    // the check can fail: a command that runs a stage's code resolves them
    expect(traced(['eval', '--weights', join(dir, 'none.safetensors')]).urls.some((u) => heavy.test(u))).toBe(true);
  });

  it('lists each command with the summary its own help shows (and each stage with its definition\'s)', async () => {
    const defs = {
      dataset: (await import('@sortscope/dataset')).datasetStage,
      train: (await import('@sortscope/train')).trainStage,
      circuits: (await import('@sortscope/circuits')).circuitsStage,
      llc: (await import('@sortscope/llc')).llcStage,
    };
    for (const e of ENTRIES) {
      const c = await e.load();
      expect(c.spec.name).toBe(e.name);
      expect(c.spec.summary).toBe(e.summary);
      const def = defs[e.name as keyof typeof defs];
      if (def) expect(e.summary).toBe(def.summary);
    }
    expect(ENTRIES.map((e) => e.name)).toContain('clean');
  });

  it('Ctrl-C on a training run stops it at once (exit status 130) and says how to resume', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'e.json'), JSON.stringify({ dataset: { list_length: 4, max_number: 15, n_train: 2000, n_validation: 200, n_test: 0 }, train: { model: { d_model: 16, d_head: 8 }, batch_size: 32, epochs: 400 } }));
    expect(cli(['dataset', '--config', 'e.json', '--quiet'], dir)).toMatchObject({ code: 0, stderr: '' });
    // its own process group, as a terminal's foreground job: Ctrl-C sends SIGINT to the whole group
    const child = spawn(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), 'train', '--config', 'e.json', '--out-dir', 'run', '--quiet', '--backend', 'wasm'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<[number | null, string | null]>((r) => child.on('close', (code, signal) => r([code, signal])));
    const first = join(dir, 'run', 'partial', `ckpt-${'0'.repeat(9)}.arrow`);
    while (child.exitCode === null && !existsSync(first)) await new Promise((r) => setTimeout(r, 20));
    process.kill(-child.pid!, 'SIGINT');
    const [code, signal] = await closed;
    // stopped by the signal (a shell reports 128 + 2 = 130), not left running or finished
    expect([code, signal]).toEqual([null, 'SIGINT']);
    expect(stderr).toBe('sortscope: interrupted: rerun the same command to resume (train resumes from its last checkpoint, llc from its last finished checkpoint)\n');
    expect(existsSync(join(dir, 'run', 'final.safetensors'))).toBe(false);
  }, 300_000);
});
