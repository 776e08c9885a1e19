/**
 * Everything the stage computes for one checkpoint (parameter vector), in memory, no file I/O:
 *   circuits    every layer × head × circuit kind × convention, dense float64 (circuits.ts)
 *   measures    per circuit, on all number tokens and without the edge tokens (circuit-measures.ts)
 *   specialisation per layer × head, in config.specialisation.convention (specialisation.ts)
 *   ablation    per layer × head, mean-ablation loss increase on the first ablation_rows sequences
 *               (@sortscope/engine headAblationLossIncrease, the fixture's definition)
 *   attention   per layer × head, attention to the correct next token on the first probe_rows
 *               sequences (attention.ts)
 * The engine parts need an Engine; the circuit parts are plain float64 arithmetic.
 */
import { assertFiniteInput, assertFiniteResult, ShapeError } from '@sortscope/core';
import { type Engine, headAblationLossIncrease } from '@sortscope/engine';
import { type ModelConfig } from '@sortscope/model';
import { type AttentionSummary, probeAttention } from './attention.ts';
import { type CircuitMeasures, type MeasureContext, measureCircuit, tokenSets } from './circuit-measures.ts';
import { CIRCUIT_KINDS, type CircuitKind, headCircuits, type HeadCircuits } from './circuits.ts';
import { circuitInputs, type Convention } from './conventions.ts';
import { type Matrix, select } from './matrix.ts';
import type { CircuitsConfig } from './schema.ts';
import { type HeadSpecialisation, specialise } from './specialisation.ts';

export interface MatrixRecord {
  layer: number;
  head: number;
  circuit: CircuitKind;
  convention: Convention;
  /** [d_vocab, d_vocab] for QK and OV, [2n, d_vocab] for QK_pos */
  matrix: Matrix;
}

export interface MeasureRecord {
  layer: number;
  head: number;
  circuit: CircuitKind;
  convention: Convention;
  /** on the number tokens 0 … d_vocab − 2 */
  all: CircuitMeasures;
  /** without the first and last edge_tokens number tokens */
  inner: CircuitMeasures;
}

export interface SpecialisationRecord extends HeadSpecialisation {
  layer: number;
  convention: Convention;
  /** loss(head mean-ablated) − loss(clean); NaN when ablation_rows = 0 */
  ablation_loss_increase: number;
}

export interface CircuitResults {
  matrices: MatrixRecord[];
  measures: MeasureRecord[];
  specialisation: Omit<SpecialisationRecord, 'ablation_loss_increase'>[];
}

export interface BehaviourResults {
  /** [layer][head], or null when ablation_rows = 0 */
  ablation: number[][] | null;
  attention: AttentionSummary[];
}

export interface CheckpointAnalysis {
  matrices: MatrixRecord[];
  measures: MeasureRecord[];
  specialisation: SpecialisationRecord[];
  attention: AttentionSummary[];
}

/** Clean sequences [rows, n_ctx] for ablation and the attention probe. */
export interface ProbeData {
  tokens: Uint8Array;
  rows: number;
}

/** Circuits, their measures and the heads' specialisation (no engine needed). */
export function circuitAnalysis(cfg: ModelConfig, params: Float32Array, config: CircuitsConfig): CircuitResults {
  const ctx: MeasureContext = { sets: tokenSets(cfg.d_vocab, config.edge_tokens), n: cfg.list_length, seed: config.seed, nullSamples: config.null_samples };
  const byConvention = new Map<Convention, HeadCircuits[][]>(); // [layer][head]
  const circuitsIn = (c: Convention) => {
    if (!byConvention.has(c)) byConvention.set(c, circuitInputs(cfg, params, c).map((inp) => inp.heads.map((_, h) => headCircuits(inp, h))));
    return byConvention.get(c)!;
  };
  const matrices: MatrixRecord[] = [];
  const measures: MeasureRecord[] = [];
  for (const convention of config.conventions) {
    circuitsIn(convention).forEach((heads, layer) =>
      heads.forEach((hc, head) => {
        for (const circuit of CIRCUIT_KINDS) {
          const matrix = hc[circuit].dense();
          matrices.push({ layer, head, circuit, convention, matrix });
          measures.push({ layer, head, circuit, convention, ...measureCircuit(circuit, matrix, ctx) });
        }
      }),
    );
  }
  const convention = config.specialisation.convention;
  const numbers = ctx.sets.all;
  const specialisation = circuitsIn(convention).flatMap((heads, layer) => {
    const diagonals = heads.map((hc) => hc.OV.diagonal().subarray(0, numbers.length)); // [n_num] per head
    const qk = heads.map((hc) => select(hc.QK.dense(), numbers, numbers)); // [n_num, n_num] per head
    return specialise(diagonals, qk).map((s) => ({ ...s, layer, convention }));
  });
  return { matrices, measures, specialisation };
}

/** Mean-ablation loss increases and the attention probe (engine forward passes). */
export function behaviourAnalysis(engine: Engine, params: Float32Array, data: ProbeData, config: CircuitsConfig): BehaviourResults {
  if (data.tokens.length < data.rows * engine.cfg.n_ctx) {
    throw new ShapeError(`behaviourAnalysis: data.tokens has ${data.tokens.length} values; expected [${data.rows}, ${engine.cfg.n_ctx}] sequences`);
  }
  const ablationRows = Math.min(config.ablation_rows, data.rows);
  const probeRows = Math.min(config.probe_rows, data.rows);
  return {
    ablation: ablationRows > 0 ? headAblationLossIncrease(engine, params, data.tokens, ablationRows, config.batch_size) : null,
    attention: probeRows > 0 ? probeAttention(engine, params, data.tokens, probeRows, config.batch_size) : [],
  };
}

/** The whole per-checkpoint analysis; `engine` null skips ablation and attention. */
export function analyseCheckpoint(engine: Engine | null, cfg: ModelConfig, params: Float32Array, data: ProbeData, config: CircuitsConfig, what = 'parameters'): CheckpointAnalysis {
  assertFiniteInput(params, what);
  const c = circuitAnalysis(cfg, params, config);
  const b: BehaviourResults = engine ? behaviourAnalysis(engine, params, data, config) : { ablation: null, attention: [] };
  if (b.ablation) assertFiniteResult(b.ablation.flat(), `${what}: head-ablation loss increases`);
  for (const a of b.attention) assertFiniteResult([a.mean, ...a.per_position], `${what}: attention of head ${a.layer}.${a.head}`);
  return {
    matrices: c.matrices,
    measures: c.measures,
    specialisation: c.specialisation.map((s) => ({ ...s, ablation_loss_increase: b.ablation?.[s.layer][s.head] ?? NaN })),
    attention: b.attention,
  };
}

/** Rows actually used for ablation and the probe, given the available data. */
export function rowsUsed(config: CircuitsConfig, available: number): { ablation_rows: number; probe_rows: number } {
  return { ablation_rows: Math.min(config.ablation_rows, available), probe_rows: Math.min(config.probe_rows, available) };
}

/** Ablation or the attention probe will run (both need forward passes). */
export function needsEngine(config: CircuitsConfig, rows: number): boolean {
  return rows > 0 && (config.ablation_rows > 0 || config.probe_rows > 0);
}
