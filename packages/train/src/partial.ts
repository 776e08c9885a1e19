/**
 * The `partial/` folder of a training run that has not finished. At each checkpoint step s the run
 * writes (atomically, in this order)
 *   ckpt-<s>.arrow    the checkpoint's parameters ('train/checkpoints', one row)
 *   resume-<s>.arrow  the whole state at s: parameters, Adam moments, logs ('train/resume')
 * each sealed (core/sealed.ts: `<file>.sha256` written after it), and keeps them all until the run
 * ends. `resumePoint` picks where to resume: the latest s whose resume state is sound and every
 * planned checkpoint up to s has a sound file (its seal matches; readable, of this config and
 * dataset, the right step, finite). Anything after it — a truncated or missing
 * checkpoint, a damaged resume state — is deleted and recomputed; training is deterministic, so
 * the files come out the same. `collectCheckpoints` builds the final list from the planned steps,
 * never from a directory listing.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ArtifactError, checkSealed } from '@sortscope/core';
import { type LoadedCheckpoints, readCheckpoints, readResume } from './io.ts';
import type { TrainState } from './train-loop.ts';

const pad = (step: number) => String(step).padStart(9, '0');
export const ckptFile = (partial: string, step: number) => join(partial, `ckpt-${pad(step)}.arrow`);
export const resumeFile = (partial: string, step: number) => join(partial, `resume-${pad(step)}.arrow`);

/** The checkpoint at `step`, or the reason it cannot be used. */
export function readPartialCheckpoint(partial: string, step: number, configHash: string, inputs: Record<string, string>): LoadedCheckpoints | string {
  const path = ckptFile(partial, step);
  const unsealed = checkSealed(path);
  if (unsealed) return unsealed;
  let ck: LoadedCheckpoints;
  try {
    ck = readCheckpoints(path);
  } catch (err) {
    return (err as Error).message;
  }
  if (ck.meta.configHash !== configHash || JSON.stringify(ck.meta.inputs) !== JSON.stringify(inputs)) return `${path} belongs to another config or dataset`;
  if (ck.steps.length !== 1 || ck.steps[0] !== step) return `${path} holds step ${ck.steps.join(',')}, expected ${step}`;
  if (!ck.params.every(Number.isFinite)) return `${path} holds non-finite parameters`;
  return ck;
}

export interface ResumePoint {
  state: TrainState | null;
  /** what was found and dropped, for the log */
  notes: string[];
}

/** Where to resume in `partial` (state null: from the start), deleting everything after it. */
export function resumePoint(partial: string, checkpointSteps: number[], configHash: string, inputs: Record<string, string>): ResumePoint {
  const notes: string[] = [];
  if (!existsSync(partial)) return { state: null, notes };
  // the longest prefix of planned checkpoints with sound files
  let good = -1;
  for (const s of checkpointSteps) {
    if (!existsSync(ckptFile(partial, s)) && !existsSync(resumeFile(partial, s))) break;
    const ck = readPartialCheckpoint(partial, s, configHash, inputs);
    if (typeof ck === 'string') {
      notes.push(`checkpoint at step ${s} unusable (${ck})`);
      break;
    }
    good = s;
  }
  let state: TrainState | null = null;
  for (const s of checkpointSteps.filter((x) => x <= good).reverse()) {
    const path = resumeFile(partial, s);
    if (!existsSync(path)) continue;
    const unsealed = checkSealed(path);
    const saved = unsealed ? { reason: unsealed } : readResume(path, configHash, inputs);
    if ('state' in saved && saved.state.step === s) {
      state = saved.state;
      break;
    }
    notes.push(`resume state at step ${s} unusable (${'reason' in saved ? saved.reason : `it holds step ${saved.state.step}`})`);
  }
  const keep = state?.step ?? -1;
  for (const f of readdirSync(partial)) {
    const m = /^(ckpt|resume)-(\d+)\.arrow(\.sha256)?$/.exec(f);
    if (!m || Number(m[2]) > keep) rmSync(join(partial, f), { recursive: true, force: true });
  }
  return { state, notes };
}

/** The planned checkpoints, each read from its own file; refuses a missing or damaged one. */
export function collectCheckpoints(partial: string, checkpointSteps: number[], configHash: string, inputs: Record<string, string>): LoadedCheckpoints[] {
  return checkpointSteps.map((s) => {
    const ck = readPartialCheckpoint(partial, s, configHash, inputs);
    if (typeof ck === 'string') throw new ArtifactError(`train: ${ck}; it was written during this run, so another process or the disk interfered; rerun train (it resumes from the last sound checkpoint)`);
    return ck;
  });
}
