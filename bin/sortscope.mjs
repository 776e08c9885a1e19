#!/usr/bin/env node
// The sortscope CLI. Runs the TypeScript sources directly through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
// a closed pipe (`sortscope plan | head`) is not an error
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main } = await import('@sortscope/cli');
process.exitCode = await main(process.argv.slice(2), { interruptNotice: true });
