/**
 * `@sortscope/findings/print`: everything `sortscope findings` prints from compact results (the
 * committed docs/findings/<study>.json or a `--from` file), and that file's reading and bookkeeping.
 * Nothing here imports Arrow, an engine or the report's readers, so printing the claims on a fresh
 * clone starts in about a second; computing compact results from artifacts is `@sortscope/findings`
 * (results.ts, behaviour.ts).
 */
export * from './facts.ts';
export * from './data.ts';
export * from './claims.ts';
export * from './changes.ts';
export * from './compare.ts';
export * from './verdicts.ts';
export * from './matched-loss.ts';
export * from './symmetry.ts';
export * from './modes.ts';
export * from './claim-rows.ts';
export * from './noise-rows.ts';
export * from './claims-table.ts';
export * from './compact-file.ts';
export * from './compact-schema.ts';
