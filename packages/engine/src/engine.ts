/**
 * The compute engine interface. Every numeric consumer (training, evaluation, circuits' ablations,
 * SGLD) goes through it, so an engine can be swapped (tfjs today; a fused WebAssembly engine later)
 * without touching them. Parameters are always the flat vector of layout.ts.
 *
 * A batch holds full sequences `a_1 … a_n SEP b_1 … b_n` ([rows, n_ctx] = [rows, 2n + 1] tokens);
 * the model is fed the first 2n tokens and its logits at positions n … 2n − 1 are scored against
 * tokens n + 1 … 2n (the sorted numbers). The loss is the mean cross-entropy over rows × n.
 */
import type { Rng } from '@sortscope/core';
import type { Layout, ModelConfig } from '@sortscope/model';

export interface Batch {
  /** [rows, n_ctx] uint8 tokens, row-major */
  tokens: Uint8Array;
  rows: number;
}

/** Activation names, as TransformerLens hooks them. */
export type HookName =
  | 'hook_embed'
  | 'hook_pos_embed'
  | `blocks.${number}.hook_resid_pre`
  | `blocks.${number}.ln1.hook_normalized`
  | `blocks.${number}.attn.hook_q`
  | `blocks.${number}.attn.hook_k`
  | `blocks.${number}.attn.hook_v`
  | `blocks.${number}.attn.hook_attn_scores`
  | `blocks.${number}.attn.hook_pattern`
  | `blocks.${number}.attn.hook_z`
  | `blocks.${number}.hook_attn_out`
  | `blocks.${number}.hook_resid_post`
  | 'ln_final.hook_normalized';

/** Shapes of the hooked activations ([batch, pos, …] as in TransformerLens). */
export function hookShape(name: HookName, cfg: ModelConfig, rows: number): number[] {
  const P = 2 * cfg.list_length;
  if (name.endsWith('hook_q') || name.endsWith('hook_k') || name.endsWith('hook_v') || name.endsWith('hook_z')) return [rows, P, cfg.n_heads, cfg.d_head];
  if (name.endsWith('hook_attn_scores') || name.endsWith('hook_pattern')) return [rows, cfg.n_heads, P, P];
  return [rows, P, cfg.d_model];
}

export function allHooks(cfg: ModelConfig): HookName[] {
  const out: HookName[] = ['hook_embed', 'hook_pos_embed'];
  for (let L = 0; L < cfg.n_layers; L++) {
    out.push(`blocks.${L}.hook_resid_pre`);
    if (cfg.layer_norm) out.push(`blocks.${L}.ln1.hook_normalized`);
    for (const h of ['hook_q', 'hook_k', 'hook_v', 'hook_attn_scores', 'hook_pattern', 'hook_z'] as const) out.push(`blocks.${L}.attn.${h}`);
    out.push(`blocks.${L}.hook_attn_out`, `blocks.${L}.hook_resid_post`);
  }
  if (cfg.layer_norm) out.push('ln_final.hook_normalized');
  return out;
}

/**
 * Replace one head's output z (attention-weighted values, before W_O) at every position:
 * by zeros, or by a given mean [n_pos, d_head] (mean-ablation as in the fixture's definition).
 */
export interface HeadAblation {
  layer: number;
  head: number;
  kind: 'zero' | 'mean';
  /** [n_pos, d_head], required for 'mean' */
  mean?: Float32Array;
}

export interface Activation {
  shape: number[];
  data: Float32Array;
}

export interface ForwardResult {
  /** [rows, n_pos, d_vocab] */
  logits: Float32Array;
  cache: Partial<Record<HookName, Activation>>;
}

export interface EvalResult {
  /** [rows, n_scored] per-token cross-entropy (nats) */
  nll: Float32Array;
  /** [rows, n_scored] 1 where the argmax logit is the target */
  correct: Uint8Array;
}

/**
 * One SGLD step of an LLC chain taken whole by the engine (`Engine.sgldStep`): the loss and gradient
 * at w, then the step of packages/llc/src/chain-step.ts on them, bit for bit that reference
 * (lossAndGrad, the tilt, then chainStep). Fields as there: the drift is
 * nβ·(∇L_B − g0) + γ·(w − w0) + λ_wd·w, the step −(ε/2)·P·drift + sqrt(ε)·σ·sqrt(P)·ξ.
 */
export interface SgldStepArgs {
  w0: Float32Array;
  /** g0 = ∇L_n(w0) over every coordinate (the tilt), or null */
  tilt: Float32Array | null;
  /** the sampled coordinates, or null for all */
  indices: Uint32Array | null;
  /** a fixed diagonal preconditioner over the sampled coordinates and its square root, or null */
  precondition: { p: Float64Array; sqrt: Float64Array } | null;
  nbeta: number;
  gamma: number;
  weightDecay: number;
  epsilon: number;
  noiseLevel: number;
  /** the chain's noise stream (advanced by the step), or null for none */
  noise: Rng | null;
  stream: 'box-muller' | 'ziggurat';
  /** receives the drift and w before the step at the sampled coordinates (the MALA acceptance), or null */
  keep: { g: Float64Array; before: Float64Array } | null;
}

export interface SgldStepResult {
  /** the minibatch loss at w, before the step (without the tilt) */
  loss: number;
  /** g0ᵀ(w − w0) over the sampled coordinates (0 without a tilt): the tilted loss is loss − slope */
  slope: number;
  /** ‖w − w0‖² and ‖w‖² before the step, ‖(ε/2)·P·drift‖, ‖sqrt(ε)·σ·sqrt(P)·ξ‖ */
  dist2: number;
  wd2: number;
  driftNorm: number;
  noiseNorm: number;
}

export interface Engine {
  /** e.g. "tfjs-wasm" or "tfjs-node" */
  readonly name: string;
  readonly cfg: ModelConfig;
  readonly layout: Layout;
  /** mean loss and its gradient w.r.t. the flat parameter vector */
  lossAndGrad(params: Float32Array, batch: Batch): { loss: number; grad: Float32Array };
  /** per-token losses and correctness at the scored positions, optionally with heads ablated */
  evaluate(params: Float32Array, batch: Batch, opts?: { ablate?: HeadAblation[] }): EvalResult;
  /** logits at every fed position and the requested activations */
  forward(params: Float32Array, batch: Batch, opts?: { hooks?: readonly HookName[]; ablate?: HeadAblation[] }): ForwardResult;
  /** lossAndGrad and the per-token losses it summed, [rows, n] as evaluate's nll (engines that have it) */
  lossAndGradWithNll?(params: Float32Array, batch: Batch): { loss: number; grad: Float32Array; nll: Float32Array };
  /** lossAndGrad at w and the SGLD step on it in one call, w stepped in place (engines that have it) */
  sgldStep?(w: Float32Array, batch: Batch, a: SgldStepArgs): SgldStepResult;
  /** release backend memory held by the engine */
  dispose(): void;
}
