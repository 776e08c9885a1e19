/** The verdict words of the third edition (issue #28), shared by every rule that decides one. */
export type Verdict = 'reproduced' | 'contradicted' | 'not reproduced in the range tried' | 'inconclusive' | 'not measured';
