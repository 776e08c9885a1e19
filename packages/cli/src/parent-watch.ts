/**
 * A stage run by a pipeline ends with the pipeline (issue #29, F24). Nx runs each stage as
 * `exec node bin/sortscope.mjs <stage> … --expect-key K` (nx-plugin.ts), so the stage's parent is
 * the Nx process itself. When that process is killed (SIGKILL leaves no chance to clean up), the
 * stage must not run on as an orphan that nobody waits for: it is stopped within about a second,
 * like a Ctrl-C, and the next run resumes from its sealed partial/ files.
 *
 * The watch is a tiny `sh` beside this process that polls both pids: a JavaScript timer could not do
 * it, because a training run is one synchronous loop and timers wait for it. SIGTERM with Node's
 * default action stops the process at once, even inside that loop. The `sh` ends by itself when
 * this process ends. A plain command line (no --expect-key) is not watched: `sortscope train &`
 * followed by closing the shell is a user's choice to keep the run going.
 */
import { spawn } from 'node:child_process';

export const PARENT_GONE = 'sortscope: the process that started this stage is gone (a killed Nx run?): stopping; rerun to resume (train and llc continue from their last saved checkpoint)';

const SCRIPT = [
  'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done',
  'if kill -0 "$2" 2>/dev/null; then printf "%s\\n" "$3" >&2; kill -TERM "$2"; fi',
].join('; ');

/** Stop this process (SIGTERM) when its parent is gone; does nothing when the parent is init (pid 1). */
export function endWithParent(parent = process.ppid): void {
  if (parent <= 1) return;
  const watch = spawn('/bin/sh', ['-c', SCRIPT, 'sortscope-parent-watch', String(parent), String(process.pid), PARENT_GONE], { stdio: ['ignore', 'ignore', 'inherit'] });
  watch.on('error', () => {}); // no sh: no watch
  watch.unref(); // the watch never keeps this process alive
}
