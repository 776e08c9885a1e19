/**
 * One process per stage folder. `lockStageDir` creates `<dir>/.lock` exclusively (O_EXCL), holding
 * the owner's pid and host; a second process gets a clear error naming that pid. A lock whose
 * process is gone (same host, `kill(pid, 0)` fails) is stale and taken over. While the lock is
 * held no other writer can exist, so every leftover `.tmp-` file in the folder (an atomic write cut
 * short by a kill) is removed.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './errors.ts';

const LOCK = '.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temporaries of interrupted atomic writes in `dir` and its subfolders. */
export function removeStaleTemporaries(dir: string): string[] {
  const removed: string[] = [];
  if (!existsSync(dir)) return removed;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) removed.push(...removeStaleTemporaries(p));
    else if (f.includes('.tmp-')) {
      rmSync(p, { force: true });
      removed.push(p);
    }
  }
  return removed;
}

export interface StageLock {
  release(): void;
}

export function lockStageDir(dir: string, what: string): StageLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK);
  const me = { pid: process.pid, host: hostname() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
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
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner: { pid?: number; host?: string } = {};
      try {
        owner = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        // a lock being written, or garbage: treat as held unless it is old
      }
      const stale = owner.host === me.host && typeof owner.pid === 'number' && !alive(owner.pid);
      if (!stale) {
        const who = owner.pid ? `pid ${owner.pid}${owner.host && owner.host !== me.host ? ` on ${owner.host}` : ''}` : 'unknown pid';
        throw new ConfigError(`another process is running ${what} in ${dir} (${who}); wait for it, or delete ${path} if no such process runs`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new ConfigError(`could not lock ${dir} for ${what}`);
}
