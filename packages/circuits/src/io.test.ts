/**
 * Round trips of every artifact: what the readers return equals what was written (matrices at
 * float32 precision, everything else exactly, NaN included), metadata too; an empty attention
 * table (probe_rows = 0) survives; a reader refuses another kind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactError, readArtifact, readStrings } from '@sortscope/core';
import { TfjsEngine } from '@sortscope/engine';
import { analyseCheckpoint, type CheckpointAnalysis } from './analyse.ts';
import { type BaseMeta, copierFromRecords, KINDS, readAttention, readMatrices, readMeasures, readSpecialisation, writeAttention, writeMatrices, writeMeasures, writeSpecialisation } from './io.ts';
import { CircuitsConfigSchema } from './schema.ts';
import { copierOf } from './specialisation.ts';
import { randomParams, SMALL_CFG } from './testing.ts';

const cfg = SMALL_CFG;
const config = CircuitsConfigSchema.parse({ null_samples: 20, edge_tokens: 1, ablation_rows: 8, probe_rows: 8, batch_size: 4 });
const base: BaseMeta = { stage: 'circuits', stageVersion: '1', config, seed: 0, inputs: { checkpoints: 'abc' }, extra: { model: cfg, steps: [0, 10], note: 'round trip' } };
const tokens = Uint8Array.from({ length: 8 * 9 }, (_, i) => [3, 1, 7, 5, 11, 1, 3, 5, 7][i % 9]);
let dir: string;
let runs: CheckpointAnalysis[];
const steps = [0, 10];
const stepped = <T>(pick: (a: CheckpointAnalysis) => T[]) => runs.flatMap((a, i) => pick(a).map((r) => ({ ...r, step: steps[i] })));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'circuits-io-'));
  const engine = await TfjsEngine.create(cfg, { backend: 'wasm' });
  runs = [0, 1].map((s) => analyseCheckpoint(engine, cfg, randomParams(cfg, s), { tokens, rows: 8 }, config));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('artifact round trips', () => {
  it('matrices: every matrix back, at float32 precision', () => {
    const recs = stepped((a) => a.matrices);
    writeMatrices(join(dir, 'm.arrow'), recs, cfg.d_vocab, base);
    const back = readMatrices(join(dir, 'm.arrow'));
    expect(back.meta.kind).toBe('circuits/matrices');
    expect(back.meta.extra).toEqual(base.extra);
    expect(back.records).toHaveLength(recs.length);
    back.records.forEach((r, k) => {
      const w = recs[k];
      expect([r.step, r.layer, r.head, r.circuit, r.convention]).toEqual([w.step, w.layer, w.head, w.circuit, w.convention]);
      expect([r.matrix.rows, r.matrix.cols]).toEqual([w.matrix.rows, w.matrix.cols]);
      expect(Array.from(r.matrix.data)).toEqual(Array.from(w.matrix.data, Math.fround));
    });
  });

  it('measures: exactly, NaN included', () => {
    const recs = stepped((a) => a.measures);
    writeMeasures(join(dir, 'x.arrow'), recs, base);
    const back = readMeasures(join(dir, 'x.arrow'));
    expect(back.records).toEqual(recs);
    expect(back.records.some((r) => Number.isNaN(r.all.ev))).toBe(true); // QK_pos
    expect(back.meta.config).toEqual(config);
    // in the file, QK_pos's ev* are null (not applicable), and the square circuits' are numbers
    const t = readArtifact(join(dir, 'x.arrow'), { ...KINDS.measures, regenerate: '' }).table;
    const circuit = readStrings(t, 'circuit');
    const qkPos = circuit.filter((c) => c === 'QK_pos').length;
    expect(qkPos).toBeGreaterThan(0);
    for (const col of ['ev', 'ev_null_mean', 'ev_z', 'ev_p_inner']) expect(t.getChild(col)!.nullCount, col).toBe(qkPos);
    expect(t.getChild('t_norm')!.nullCount).toBe(0);
  });

  it('specialisation: exactly, and the copier can be rebuilt from it', () => {
    const recs = stepped((a) => a.specialisation);
    writeSpecialisation(join(dir, 's.arrow'), recs, { n_num: cfg.d_vocab - 1, n_heads: cfg.n_heads }, base);
    const back = readSpecialisation(join(dir, 's.arrow'));
    expect(back.records).toEqual(recs);
    expect(copierFromRecords(back.records, 10, 0)).toEqual(copierOf(runs[1].specialisation.map((s) => s.ov_diagonal)));
    // "no partner" (−1 in memory) and "ablation not run" (NaN in memory) are null in the file
    const odd = recs.map((r, i) => (i === 0 ? { ...r, copy_suppression: 0, copy_suppression_partner: -1, ablation_loss_increase: NaN } : r));
    writeSpecialisation(join(dir, 's2.arrow'), odd, { n_num: cfg.d_vocab - 1, n_heads: cfg.n_heads }, base);
    const t = readArtifact(join(dir, 's2.arrow'), { ...KINDS.specialisation, regenerate: '' }).table;
    expect([t.getChild('copy_suppression_partner')!.get(0), t.getChild('ablation_loss_increase')!.get(0)]).toEqual([null, null]);
    expect(t.getChild('ablation_loss_increase')!.nullCount).toBe(1);
    expect(readSpecialisation(join(dir, 's2.arrow')).records).toEqual(odd);
  });

  it('attention: exactly, and an empty table when there was no probe', () => {
    const recs = stepped((a) => a.attention);
    expect(recs).toHaveLength(4);
    writeAttention(join(dir, 'a.arrow'), recs, { n: cfg.list_length, n_num: cfg.d_vocab - 1 }, base);
    expect(readAttention(join(dir, 'a.arrow')).records).toEqual(recs);
    writeAttention(join(dir, 'empty.arrow'), [], { n: cfg.list_length, n_num: cfg.d_vocab - 1 }, base);
    expect(readAttention(join(dir, 'empty.arrow')).records).toEqual([]);
  });

  it('a reader refuses another kind and says how to regenerate it', () => {
    writeMeasures(join(dir, 'x2.arrow'), stepped((a) => a.measures), base);
    expect(() => readMatrices(join(dir, 'x2.arrow'))).toThrowError(ArtifactError);
    expect(() => readMatrices(join(dir, 'x2.arrow'))).toThrowError(/'circuits\/measures' artifact v2 .* expected 'circuits\/matrices' v1; regenerate it with: npx sortscope circuits/);
  });
});
