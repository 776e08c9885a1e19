export * from './schedule.ts';
export * from './schema.ts';
export * from './train-loop.ts';
export * from './io.ts';
export * from './stage.ts';
