export * from './facts.ts';
export * from './data.ts';
export * from './behaviour.ts';
export * from './claims.ts';
export * from './changes.ts';
export * from './results.ts';
export * from './compare.ts';
export * from './verdicts.ts';
