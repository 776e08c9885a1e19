/**
 * Fixtures for tests: the ARENA checkpoint and its golden numbers, shipped in the repository
 * (fixtures/arena-sorted-list; provenance in its README.md) so a clone anywhere runs the tests;
 * SORTSCOPE_FIXTURES overrides.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const candidates = [process.env.SORTSCOPE_FIXTURES, resolve(import.meta.dirname, '../../../fixtures/arena-sorted-list')];
export const ARENA_DIR = candidates.find((d) => d && existsSync(resolve(d, 'arena-sorted-list.safetensors'))) ?? '';
export const ARENA_WEIGHTS = resolve(ARENA_DIR, 'arena-sorted-list.safetensors');
export const ARENA_EVAL = resolve(ARENA_DIR, 'eval-10000x21.u8');

export interface Golden {
  eval_sequences_first4: number[][];
  logits_first4_positions_10_to_19: number[][][];
  eval_10000: { mean_loss: number; token_accuracy: number; sequence_accuracy: number; loss_per_output_position: number[] };
  mean_ablation_loss_increase_per_head: number[];
  ov_diagonal_head0_exceeds_head1_tokens: number[];
}

export function golden(): Golden {
  return JSON.parse(readFileSync(resolve(ARENA_DIR, 'arena-sorted-list.golden.json'), 'utf8'));
}

export function arenaEvalTokens(): Uint8Array {
  return new Uint8Array(readFileSync(ARENA_EVAL));
}
