/**
 * One process per stage folder. `lockStageDir` publishes `<dir>/.lock`, holding the owner's pid and
 * host, atomically and exclusively: written whole to a temporary file, then hard-linked to `.lock`
 * (link fails if `.lock` exists), so no reader ever sees an empty or half-written lock of a live
 * run. A second process gets a clear error naming that pid. A lock whose process is gone (same
 * host, `kill(pid, 0)` fails or the process is a zombie) is stale and taken over, and so is an empty or unreadable lock older
 * than GARBAGE_LOCK_SECONDS (left by a crash or a full disk, #29 F14b). While the lock is held no
 * other writer can exist, so the leftover temporaries of atomic writes cut short by a kill are
 * removed: only files named as writeFileAtomic names them, only in the folder itself and in the
 * subfolders sortscope writes there (`partial/`, `.next/`, `.next/partial/`), never through a
 * symbolic link (#29 X07, X08: `--out-dir` may be a folder holding other files).
 */
import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { ConfigError } from './errors.ts';
import { PARTIAL, STAGED } from './lineage.ts';

const LOCK = '.lock';

/**
 * Whether `pid` is a running process. A zombie (exited, not yet reaped: its parent was killed and
 * the container's init reaps late, or never) still answers kill(pid, 0) but holds nothing; on Linux
 * its /proc/<pid>/stat state is Z.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): kill(pid, 0) is the answer
  }
}

/** A temporary of writeFileAtomic: `.<name>.tmp-<pid>-<random>`. */
const TEMPORARY = /^\..+\.tmp-\d+-[0-9a-z]{1,8}$/;
/** The subfolders of a stage folder where sortscope writes atomically. */
const OWN_SUBFOLDERS = [PARTIAL, STAGED, join(STAGED, PARTIAL)];
/** An empty or unreadable lock older than this is a crash's leftover, not a run being started. */
export const GARBAGE_LOCK_SECONDS = 10;

/** Remove temporaries of interrupted atomic writes in `dir` and its own subfolders (not through links). */
export function removeStaleTemporaries(dir: string): string[] {
  const removed: string[] = [];
  for (const [k, d] of [dir, ...OWN_SUBFOLDERS.map((s) => join(dir, s))].entries()) {
    let names: string[];
    try {
      const st = k === 0 ? statSync(d) : lstatSync(d);
      if (!st.isDirectory()) continue;
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const f of names) {
      if (!TEMPORARY.test(f)) continue;
      const p = join(d, f);
      if (!lstatSync(p).isFile()) continue;
      rmSync(p, { force: true });
      removed.push(p);
    }
  }
  return removed;
}

export interface StageLock {
  release(): void;
}

/**
 * Lock `dir` for `what`. `reads`: the folders the run reads (its upstream stage folders), recorded
 * in the lock so `sortscope clean` keeps them while the run holds it (lockedReads).
 */
export function lockStageDir(dir: string, what: string, reads: readonly string[] = []): StageLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK);
  const me = { pid: process.pid, host: hostname(), ...(reads.length ? { reads: [...reads] } : {}) };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // whole, then published by link: exclusive (EEXIST if held) and never seen half-written
      const staged = join(dir, `.lock.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
      writeFileAtomic(staged, JSON.stringify(me));
      try {
        linkSync(staged, path);
      } finally {
        rmSync(staged, { force: true });
      }
      removeStaleTemporaries(dir);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return { release };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // our staged copy was swept by a holder finishing its takeover: try again
      if (code !== 'EEXIST') throw err;
      let owner: { pid?: number; host?: string } = {};
      let garbage = false;
      try {
        owner = JSON.parse(readFileSync(path, 'utf8'));
        garbage = typeof owner !== 'object' || owner === null || typeof owner.pid !== 'number';
      } catch {
        garbage = true;
      }
      if (garbage) owner = {};
      const age = garbage ? (Date.now() - lockMtime(path)) / 1000 : 0;
      const stale = garbage ? age > GARBAGE_LOCK_SECONDS : owner.host === me.host && typeof owner.pid === 'number' && !alive(owner.pid);
      if (!stale) {
        const who = owner.pid ? `pid ${owner.pid}${owner.host && owner.host !== me.host ? ` on ${owner.host}` : ''}` : `unknown pid: the lock is empty or unreadable, and taken over once it is ${GARBAGE_LOCK_SECONDS} s old`;
        throw new ConfigError(`another process is running ${what} in ${dir} (${who}); wait for it, or delete ${path} if no such process runs`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new ConfigError(`could not lock ${dir} for ${what}`);
}

function lockMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** The folders the holder of `dir`'s lock reads (empty when the lock is missing, garbage or from an older sortscope). */
export function lockedReads(dir: string): string[] {
  try {
    const owner = JSON.parse(readFileSync(join(dir, LOCK), 'utf8')) as { reads?: unknown };
    return Array.isArray(owner.reads) ? owner.reads.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}
