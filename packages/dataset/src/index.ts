export * from './schema.ts';
export * from './gaps.ts';
export * from './lists.ts';
export * from './noise.ts';
export * from './bayes.ts';
export * from './dataset.ts';
export * from './io.ts';
export * from './stage.ts';
