/** The verdict words of the third edition (issue #28), shared by every rule that decides one. */
export type Verdict = 'reproduced' | 'contradicted' | 'not reproduced in the range tried' | 'inconclusive' | 'not measured';

/**
 * The estimator variant of the rows whose cells are estimated one way only, printed beside them:
 * issue #28 asks that each LLC verdict hold across γ and both samplers, or say that it does not
 * (the paired LLC claims name theirs from their cells: verdicts.ts variantsOf).
 */
export const ONE_VARIANT = 'at γ 10,000 with SGLD only';
/** the noise controls' variant (studies/claims/noise.sweep.json: at γ 10,000 some p-1 chains fit the noisy labels) */
export const NOISE_VARIANT = 'at γ 40,000 with SGLD only';
/** the clean cell the noise controls are set against: the baseline at the noise controls' γ */
export const NOISE_CLEAN = 'baseline/gamma40000';

/** One row of the claims table: id, claim, the verdict (or answer) in bold with an optional note beside it, evidence, and the command that prints it. */
export const claimRow = (id: string, claim: string, verdict: string, evidence: string, command: string, note = '') => `| ${id} | ${claim} | **${verdict}**${note} | ${evidence} | \`${command}\` |\n`;
