/** The verdict words of the third edition (issue #28), shared by every rule that decides one. */
export type Verdict = 'reproduced' | 'contradicted' | 'not reproduced in the range tried' | 'inconclusive' | 'not measured';

/**
 * The estimator variants an LLC verdict rests on, printed beside it: issue #28 asks that each LLC
 * verdict hold across γ and both samplers, or say that it does not.
 */
export const ALL_VARIANTS = 'at γ 10,000 and 20,000 with SGLD, and with rmsprop';
export const ONE_VARIANT = 'at γ 10,000 with SGLD only';
