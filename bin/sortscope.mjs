#!/usr/bin/env node
// The sortscope CLI. Runs the TypeScript sources directly through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
// A reader that goes away early (`sortscope plan | head`, `train 2>&1 | head -c 20`) is not an
// error: the rest of the output is dropped, the command finishes its work, and its exit code is
// the command's own (a training run is not cut short or reported failed because a log pipe closed).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
    err.path ??= stream === process.stdout ? 'standard output' : 'standard error'; // e.g. `> file` on a full disk
    throw err;
  });
}
// A failure of the machine raised outside a command's promise (an event handler, a stream): the
// same one clear line as inside it (packages/core/src/environment-error.ts); a defect keeps its stack.
const { environmentError } = await import('@sortscope/core/environment-error');
process.on('uncaughtException', (err) => {
  const known = environmentError(err);
  process.stderr.write(known ? `sortscope: ${known.name}: ${known.message}\n` : `${err?.stack ?? err}\n`);
  process.exit(known ? known.exitCode : 1);
});
const { main } = await import('@sortscope/cli');
process.exitCode = await main(process.argv.slice(2), { interruptNotice: true });
