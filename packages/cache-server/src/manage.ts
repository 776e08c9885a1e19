/**
 * Looking after a cache folder (`<dir>/<hash>`, one gzip'd tar per Nx task; store.ts):
 *
 * - **forget**: an entry found wrong (a poisoned or a stale result) is moved aside to
 *   `<dir>/.forgotten-<hash>-<time>`, kept for inspection but never served, so the next run
 *   computes the task again and stores the new result under the same hash (a PUT of an existing
 *   hash is refused: this is the only way to replace one).
 * - **find**: the entries holding a given artifacts folder (`artifacts/llc/<key>`), read from the
 *   archives' own file names, since a user knows the folder a wrong number came from, not Nx's hash.
 * - **quota**: past `maxTotal` bytes of entries, the least recently used ones are deleted until
 *   the entries fit (a served or stored entry has its mtime set to now). Eviction costs only a
 *   recomputation; the entry just stored is never evicted.
 *
 * Only files named like a task hash are entries: temporaries (`.upload-*`) and entries moved aside
 * (`.rejected-*`, `.forgotten-*`) are neither served, counted nor evicted.
 */
import { lstatSync, readdirSync, renameSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { archiveNames } from './archive.ts';

/** Nx task hashes are xxh3-64 printed in decimal (nx/src/native/hasher): 1 to 20 digits. */
export const TASK_HASH = /^[0-9]{1,20}$/;

export interface Entry {
  hash: string;
  size: number;
  /** last use (stored or served), ms since the epoch */
  used: number;
}

/** The cache entries of `dir` (regular files named like a task hash). */
export function listEntries(dir: string): Entry[] {
  const out: Entry[] = [];
  for (const hash of readdirSync(dir)) {
    if (!TASK_HASH.test(hash)) continue;
    try {
      const st = lstatSync(join(dir, hash));
      if (st.isFile()) out.push({ hash, size: st.size, used: st.mtimeMs });
    } catch {
      // removed meanwhile (another server over the same folder)
    }
  }
  return out;
}

/** Mark an entry as used now (its place in the eviction order). */
export function touchEntry(dir: string, hash: string): void {
  const now = new Date();
  try {
    utimesSync(join(dir, hash), now, now);
  } catch {
    // gone, or a read-only folder: the order is a hint only
  }
}

/** Move the entry `hash` aside; the path it now has, or undefined when there is no such entry. */
export function forgetEntry(dir: string, hash: string): string | undefined {
  if (!TASK_HASH.test(hash)) throw new Error(`not an Nx task hash (1 to 20 digits): ${JSON.stringify(hash)}`);
  const aside = join(dir, `.forgotten-${hash}-${Date.now()}`);
  try {
    renameSync(join(dir, hash), aside);
    return aside;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The entries whose archive holds a file under `folder` (e.g. `artifacts/llc/95491bd74ec28759`);
 * `problems` gets the entries that could not be read as archives.
 */
export async function findEntries(dir: string, folder: string, problems: string[] = []): Promise<string[]> {
  const want = `${folder.replace(/^\.\//, '').replace(/\/+$/, '')}/`;
  const found: string[] = [];
  for (const e of listEntries(dir)) {
    let names: string[];
    try {
      names = await archiveNames(join(dir, e.hash));
    } catch (err) {
      problems.push(`${e.hash}: ${(err as Error).message}`);
      continue;
    }
    if (names.some((n) => `${n.replace(/^\.\//, '')}/`.startsWith(want))) found.push(e.hash);
  }
  return found;
}

/**
 * Delete the least recently used entries until the entries of `dir` total at most `maxTotal`
 * bytes, never `keep`; the evicted entries, oldest first.
 */
export function enforceQuota(dir: string, maxTotal: number, keep?: string): Entry[] {
  const entries = listEntries(dir).sort((a, b) => a.used - b.used || (a.hash < b.hash ? -1 : 1));
  let total = entries.reduce((s, e) => s + e.size, 0);
  const evicted: Entry[] = [];
  for (const e of entries) {
    if (total <= maxTotal) break;
    if (e.hash === keep) continue;
    rmSync(join(dir, e.hash), { force: true });
    total -= e.size;
    evicted.push(e);
  }
  return evicted;
}
