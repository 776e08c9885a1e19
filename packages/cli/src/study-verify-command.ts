/**
 * `sortscope study verify --sample P`: recompute a random fraction P of a study's finished stage
 * tasks from their upstream folders, each into a scratch folder exactly as its Nx target runs it,
 * and compare every file bit for bit (sha256, the manifests' `files`) with the folder here, but
 * run-info.json, which records how long the run took.
 *
 * Why: a stage folder restored from a shared cache is trusted by its hash alone. An entry made
 * wrong on purpose, or stored by edited code, can be self-consistent (its manifest rewritten to
 * match), so no integrity check finds it; recomputation does, because every stage is
 * deterministic for its config (the same bytes on any machine and engine thread count). A sample
 * keeps the cost a fraction of the study's; a difference names the folder and how to take it out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactError, ConfigError } from '@sortscope/core/errors';
import { log } from '@sortscope/core/progress';
import type { StageName } from '@sortscope/core/stage';
import type { Command } from './command.ts';
import { experimentsOf, STUDY, studyOf } from './study-command.ts';

const STAGES: StageName[] = ['dataset', 'train', 'circuits', 'llc'];
/** How long a run took (train, circuits, llc): not a result, so not compared. */
const TIMING = 'run-info.json';

interface Task {
  stage: StageName;
  key: string;
  /** an experiment ref whose config gives this task */
  ref: string;
  dir: string;
}

/** P from --sample: a fraction in (0, 1]. */
function fraction(v: unknown): number {
  if (v === undefined) return 0.1;
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new ConfigError(`--sample: got ${String(v)}; expected a fraction of the tasks, 0 < P <= 1 (e.g. 0.1)`);
  return v;
}

function stagesOf(v: unknown): StageName[] {
  if (v === undefined) return STAGES;
  const out = String(v).split(',').map((s) => s.trim());
  for (const s of out) if (!STAGES.includes(s as StageName)) throw new ConfigError(`--stages: got ${JSON.stringify(s)}; expected some of ${STAGES.join(', ')} separated by commas`);
  return out as StageName[];
}

/** The data files of a stage folder and their sha256, as its manifest records them. */
function manifestFiles(dir: string): Record<string, string> {
  return (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Record<string, string> }).files;
}

export const studyVerifyCommand: Command = {
  spec: {
    name: 'study verify',
    summary: "Recompute a random sample of a study's finished stage tasks and compare them bit for bit with the folders here (e.g. restored from a shared cache).",
    globals: [
      STUDY,
      { name: 'sample', type: 'number', value: 'P', description: 'the fraction of the finished tasks to recompute, 0 < P <= 1 [default: 0.1]' },
      { name: 'seed', type: 'number', value: 'N', description: 'which sample (the same seed picks the same tasks) [default: 1]', integer: { min: 0, max: 2 ** 31 - 1 } },
      { name: 'stages', type: 'string', value: 'LIST', description: `only these stages, e.g. llc or dataset,train [default: ${STAGES.join(',')}]` },
      { name: 'quiet', type: 'boolean', description: 'no progress lines on stderr' },
    ],
    notes: ['A difference: exit 3, naming the folder; take it out of the shared cache with `sortscope cache-server forget --folder` (docs/study.md, "A wrong cache entry").'],
  },
  async run(args, root) {
    const w = await import('@sortscope/workspace');
    const { Rng, verifyStageDir } = await import('@sortscope/core');
    const study = studyOf(w, args.globals, root);
    const p = fraction(args.globals.sample);
    const stages = stagesOf(args.globals.stages);
    const quiet = Boolean(args.globals.quiet);
    // the finished tasks here, each once (experiments share datasets and trainings)
    const tasks = new Map<string, Task>();
    for (const e of experimentsOf(w, root, study)) {
      const keys = w.experimentKeys(e.config);
      for (const stage of stages) {
        const key = keys[stage].key;
        const dir = w.taskDir(root, stage, key);
        if (!tasks.has(`${stage}/${key}`) && existsSync(join(dir, 'manifest.json'))) tasks.set(`${stage}/${key}`, { stage, key, ref: e.file, dir });
      }
    }
    if (tasks.size === 0) throw new ConfigError(`study '${study}': no finished ${stages.join('/')} folder here to verify (run the study first)`);
    // a seeded sample: shuffle (Fisher–Yates) and take ceil(P·n)
    const all = [...tasks.values()].sort((a, b) => (a.stage + a.key < b.stage + b.key ? -1 : 1));
    const rng = Rng.derive(Number(args.globals.seed ?? 1), 'study-verify');
    for (let i = all.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [all[i], all[j]] = [all[j], all[i]];
    }
    const sample = all.slice(0, Math.max(1, Math.ceil(p * all.length)));
    log(`study verify: recomputing ${sample.length} of ${all.length} finished tasks of '${study}' (sample ${p}, seed ${args.globals.seed ?? 1})`, quiet);
    const scratch = mkdtempSync(join(tmpdir(), 'sortscope-verify-'));
    const differ: string[] = [];
    const t0 = Date.now();
    try {
      for (const [i, t] of sample.entries()) {
        const folder = `artifacts/${t.stage}/${t.key}`;
        // the folder here must be intact before it is compared (a damaged one is a different failure)
        verifyStageDir(t.dir, t.stage, { regenerate: `npx sortscope ${t.stage} --config ${t.ref} --fresh` });
        const out = join(scratch, `${t.stage}-${t.key}`);
        const r = spawnSync(process.execPath, [join(root, 'bin/sortscope.mjs'), t.stage, '--config', t.ref, '--out-dir', out, '--quiet'], { cwd: root, encoding: 'utf8', env: { ...process.env, SORTSCOPE_STUDY: study } });
        if (r.status !== 0) throw new ArtifactError(`recomputing ${folder} (${t.ref}) failed with exit ${r.status}: ${r.stderr.trim().split('\n').at(-1)}`);
        const [here, again] = [manifestFiles(t.dir), manifestFiles(out)];
        const names = [...new Set([...Object.keys(here), ...Object.keys(again)])].filter((f) => f !== TIMING).sort();
        const bad = names.filter((f) => here[f] !== again[f]);
        if (bad.length) differ.push(`${folder}: ${bad.join(', ')} differ from a recomputation`);
        const eta = ((Date.now() - t0) / (i + 1)) * (sample.length - i - 1);
        log(`study verify: ${i + 1}/${sample.length} ${folder} ${bad.length ? `DIFFERS (${bad.join(', ')})` : 'identical'}  ETA ${Math.round(eta / 1000)}s`, quiet);
        rmSync(out, { recursive: true, force: true });
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    if (differ.length) {
      throw new ArtifactError(
        `${differ.length} of ${sample.length} recomputed tasks differ from the folders here:\n  ${differ.join('\n  ')}\n` +
          'A shared cache entry may be wrong: take it out with `npx sortscope cache-server forget --dir <cache folder> --folder <the folder>`, then `npx nx reset`, remove the folder and rerun (docs/study.md, "A wrong cache entry").',
      );
    }
    process.stdout.write(`study verify: ${sample.length} of ${all.length} tasks recomputed, all identical\n`);
    return 0;
  },
};
