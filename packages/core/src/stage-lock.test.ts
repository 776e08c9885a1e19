/**
 * The per-folder lock: a second holder is refused with the first one's pid; a lock left by a dead
 * process is taken over; taking the lock removes temporaries of interrupted atomic writes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { GARBAGE_LOCK_SECONDS, lockedReads, lockStageDir } from './stage-lock.ts';
import { useTempDirs } from './testing.ts';

const tmp = useTempDirs('lock');

describe('lockStageDir', () => {
  it('records the folders the run reads, for clean to keep (#29 F26)', () => {
    const dir = tmp();
    const lock = lockStageDir(dir, 'the train stage', ['/w/artifacts/dataset/abc']);
    expect(lockedReads(dir)).toEqual(['/w/artifacts/dataset/abc']);
    lock.release();
    expect(lockedReads(dir)).toEqual([]);
    writeFileSync(join(dir, '.lock'), 'garbage');
    expect(lockedReads(dir)).toEqual([]);
  });

  it('refuses a second holder, naming the first one, until it is released', () => {
    const dir = join(tmp(), 'train', 'k');
    const lock = lockStageDir(dir, 'the train stage');
    expect(JSON.parse(readFileSync(join(dir, '.lock'), 'utf8')).pid).toBe(process.pid);
    let err: unknown;
    try {
      lockStageDir(dir, 'the train stage');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(new RegExp(`another process is running the train stage in .*k \\(pid ${process.pid}\\)`));
    lock.release();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    lockStageDir(dir, 'the train stage').release();
  });

  it('takes over a lock whose process is gone, and removes stale temporaries', () => {
    const dir = tmp();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: Number(dead), host: hostname() }));
    mkdirSync(join(dir, 'partial'));
    writeFileSync(join(dir, '.checkpoints.arrow.tmp-123-abc'), 'half');
    writeFileSync(join(dir, 'partial', '.ckpt-000000001.arrow.tmp-123-def'), 'half');
    writeFileSync(join(dir, 'keep.arrow'), 'whole');
    const lock = lockStageDir(dir, 'the train stage');
    expect(existsSync(join(dir, '.checkpoints.arrow.tmp-123-abc'))).toBe(false);
    expect(existsSync(join(dir, 'partial', '.ckpt-000000001.arrow.tmp-123-def'))).toBe(false);
    expect(existsSync(join(dir, 'keep.arrow'))).toBe(true);
    lock.release();
  });

  it.skipIf(process.platform !== 'linux')('takes over a lock whose process is a zombie (exited, not reaped: its parent was killed)', async () => {
    const dir = tmp();
    // sh starts `sleep 0` in the background, then becomes `sleep 30`, which never reaps it
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) await new Promise((r) => setTimeout(r, 20));
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/^\d+ \(.*\) Z/);
      writeFileSync(join(dir, '.lock'), JSON.stringify({ pid, host: hostname() }));
      const lock = lockStageDir(dir, 'the train stage');
      expect(JSON.parse(readFileSync(join(dir, '.lock'), 'utf8')).pid).toBe(process.pid);
      lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('an empty or garbage lock is held while fresh and taken over once it is old (#29 F14b)', () => {
    for (const text of ['', '{"pi', 'null']) {
      const dir = tmp();
      writeFileSync(join(dir, '.lock'), text);
      expect(() => lockStageDir(dir, 'the llc stage')).toThrow(/unknown pid: the lock is empty or unreadable, and taken over once it is 10 s old/);
      const old = (Date.now() - (GARBAGE_LOCK_SECONDS + 5) * 1000) / 1000;
      utimesSync(join(dir, '.lock'), old, old);
      const lock = lockStageDir(dir, 'the llc stage');
      expect(JSON.parse(readFileSync(join(dir, '.lock'), 'utf8')).pid).toBe(process.pid);
      lock.release();
    }
  });

  it('sweeps only writeFileAtomic temporaries of the folder and its own subfolders, never through a link (#29 X07, X08)', () => {
    const dir = tmp();
    const outside = tmp();
    writeFileSync(join(outside, '.x.arrow.tmp-1-abc'), 'not ours to delete');
    mkdirSync(join(dir, 'user', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'user', 'deep', '.notes.tmp-9-zz'), 'a user file in a subfolder');
    writeFileSync(join(dir, 'report.tmp-final.txt'), 'a user file named *.tmp-*');
    symlinkSync(outside, join(dir, 'partial')); // partial/ as a link out of the folder
    writeFileSync(join(dir, '.estimates.arrow.tmp-77-k3j9x0qa'), 'half');
    lockStageDir(dir, 'the llc stage').release();
    expect(existsSync(join(dir, '.estimates.arrow.tmp-77-k3j9x0qa'))).toBe(false);
    expect(existsSync(join(outside, '.x.arrow.tmp-1-abc'))).toBe(true);
    expect(existsSync(join(dir, 'user', 'deep', '.notes.tmp-9-zz'))).toBe(true);
    expect(existsSync(join(dir, 'report.tmp-final.txt'))).toBe(true);
  });
});
