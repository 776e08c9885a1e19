/**
 * Finiteness checks for numbers a stage is about to compute on or write. A checkpoint is never
 * NaN or infinite by design, and an engine given finite inputs must return finite outputs; where
 * either fails, the stage stops with the place named instead of writing a plausible-looking number.
 */
import { ArtifactError, SortscopeError } from './errors.ts';

/** An engine returned a non-finite value for finite inputs (exit code 1: a defect, not bad input). */
export class NonFiniteResultError extends SortscopeError {
  override name = 'NonFiniteResultError';
}

/** index of the first NaN or ±Inf in `values`, or −1 */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Refuses an input (weights, checkpoint) holding NaN or ±Inf, naming it and the first index. */
export function assertFiniteInput(values: ArrayLike<number>, what: string): void {
  const i = firstNonFinite(values);
  if (i >= 0) throw new ArtifactError(`${what}: value ${i} is ${values[i]}; expected finite numbers (a checkpoint is never NaN or infinite)`);
}

/** Refuses a computed result holding NaN or ±Inf (the engine's inputs were finite). */
export function assertFiniteResult(values: ArrayLike<number>, what: string): void {
  const i = firstNonFinite(values);
  if (i >= 0) throw new NonFiniteResultError(`${what}: value ${i} is ${values[i]} although the weights are finite; the result was not written (try --engine tfjs to compare)`);
}
