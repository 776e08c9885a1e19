/**
 * Resuming from partial/: the latest sound point is chosen; a truncated or missing checkpoint, or
 * a damaged resume state, moves the resume point back before it (and deletes what follows, to be
 * recomputed); the final list is built from the planned steps and refuses a missing one.
 */
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashJson, sealWritten } from '@sortscope/core';
import { useTempDirs } from '@sortscope/core/testing';
import { describe, expect, it } from 'vitest';
import { writeCheckpoints, writeResume } from './io.ts';
import { paramLayout } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import { ckptFile, collectCheckpoints, resumeFile, resumePoint } from './partial.ts';

const tmp = useTempDirs('partial');
const cfg: ModelConfig = { n_layers: 1, n_heads: 1, d_model: 4, d_head: 2, layer_norm: true, ln_eps: 1e-5, d_vocab: 5, list_length: 2, n_ctx: 5 };
const size = paramLayout(cfg).size;
const HASH_CONFIG = { a: 1 };
const configHash = hashJson(HASH_CONFIG);
const base = { stage: 'train', stageVersion: '1', config: { a: 1 }, seed: 0, inputs: { train: 'x', validation: 'y' }, extra: {} };
const STEPS = [0, 1, 2, 4, 8];

/** a partial folder as a run killed after the checkpoint at `upTo` leaves it */
function partialRun(upTo: number): string {
  const dir = join(tmp(), 'partial');
  for (const s of STEPS.filter((x) => x <= upTo)) {
    const params = new Float32Array(size).fill(s);
    writeCheckpoints(ckptFile(dir, s), cfg, [s], 4, [params], { ...base, config: HASH_CONFIG });
    sealWritten(ckptFile(dir, s));
    writeResume(resumeFile(dir, s), { step: s, params, adam: { m: new Float32Array(size), v: new Float32Array(size), t: s }, logs: [], checkpoints: [] }, { ...base, config: HASH_CONFIG });
    sealWritten(resumeFile(dir, s));
  }
  return dir;
}

describe('partial/ resume point', () => {
  it('resumes from the latest checkpoint when everything is sound', () => {
    const dir = partialRun(4);
    const r = resumePoint(dir, STEPS, configHash, base.inputs);
    expect(r.state?.step).toBe(4);
    expect(r.notes).toEqual([]);
  });

  it('a truncated checkpoint moves the resume point before it, and what follows is deleted', () => {
    const dir = partialRun(8);
    truncateSync(ckptFile(dir, 2), Math.floor(statSync(ckptFile(dir, 2)).size / 2));
    const r = resumePoint(dir, STEPS, configHash, base.inputs);
    expect(r.state?.step).toBe(1);
    expect(r.notes.join(' ')).toMatch(/checkpoint at step 2 unusable .*ckpt-000000002\.arrow was changed after it was written/);
    const kept = ['ckpt-000000000.arrow', 'ckpt-000000001.arrow', 'resume-000000000.arrow', 'resume-000000001.arrow'];
    expect(readdirSync(dir).sort()).toEqual(kept.flatMap((f) => [f, `${f}.sha256`]).sort());
  });

  it('a checkpoint or resume state changed in place but still readable (one parameter) is not resumed from', () => {
    const flip = (path: string) => {
      const bytes = readFileSync(path);
      const at = bytes.indexOf(Buffer.from(new Float32Array([4]).buffer)); // the first parameter (all are 4)
      expect(at).toBeGreaterThan(0);
      bytes.writeFloatLE(4.5, at);
      writeFileSync(path, bytes);
    };
    const a = partialRun(8);
    flip(ckptFile(a, 4));
    const ra = resumePoint(a, STEPS, configHash, base.inputs);
    expect(ra.state?.step).toBe(2);
    expect(ra.notes.join(' ')).toMatch(/checkpoint at step 4 unusable \(.*ckpt-000000004\.arrow was changed after it was written \(sha256 [0-9a-f]{12}… recorded/);
    const b = partialRun(8);
    flip(resumeFile(b, 4));
    rmSync(resumeFile(b, 8));
    const rb = resumePoint(b, STEPS, configHash, base.inputs);
    expect(rb.state?.step).toBe(2);
    expect(rb.notes.join(' ')).toMatch(/resume state at step 4 unusable \(.*resume-000000004\.arrow was changed after it was written/);
    // a file without its seal (killed between the two writes, or an older sortscope's) is not trusted either
    const c = partialRun(8);
    rmSync(`${ckptFile(c, 8)}.sha256`);
    expect(resumePoint(c, STEPS, configHash, base.inputs).state?.step).toBe(4);
  });

  it('a deleted checkpoint and a damaged resume state do the same; a wrong config starts afresh', () => {
    const a = partialRun(8);
    rmSync(ckptFile(a, 4));
    expect(resumePoint(a, STEPS, configHash, base.inputs).state?.step).toBe(2);
    const b = partialRun(8);
    truncateSync(resumeFile(b, 8), 100);
    const rb = resumePoint(b, STEPS, configHash, base.inputs);
    expect(rb.state?.step).toBe(4);
    expect(existsSync(ckptFile(b, 8))).toBe(false);
    const c = partialRun(8);
    expect(resumePoint(c, STEPS, 'another', base.inputs).state).toBeNull();
    expect(readdirSync(c)).toEqual([]);
  });

  it('collects the final list from the planned steps and refuses a missing checkpoint', () => {
    const dir = partialRun(8);
    expect(collectCheckpoints(dir, STEPS, configHash, base.inputs).map((c) => c.steps[0])).toEqual(STEPS);
    rmSync(ckptFile(dir, 4));
    expect(() => collectCheckpoints(dir, STEPS, configHash, base.inputs)).toThrow(/ckpt-000000004\.arrow is missing/);
  });
});
