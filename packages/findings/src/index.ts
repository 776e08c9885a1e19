export * from './print.ts';
export * from './behaviour.ts';
export * from './results.ts';
