/**
 * Looking after a cache folder: forgetting an entry (moved aside, never served, and the hash free
 * for the next upload), finding the entries that hold an artifacts folder from the archives' own
 * file names, and the quota's least-recently-used eviction, in-process and through the server.
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';
import { archiveNames } from './archive.ts';
import { enforceQuota, findEntries, forgetEntry, listEntries } from './manage.ts';
import { type CacheServer, startCacheServer } from './server.ts';
import { tarGz } from './testing.ts';

const tmp = useTempDirs('cache-manage');

/** Write entry `hash` holding `files`, last used `ageS` seconds ago. */
function entry(dir: string, hash: string, files: Record<string, string>, ageS = 0): void {
  writeFileSync(join(dir, hash), tarGz(files));
  const t = new Date(Date.now() - ageS * 1000);
  utimesSync(join(dir, hash), t, t);
}

describe('the cache folder', () => {
  it('lists only files named like a task hash (not temporaries, entries moved aside, folders or links)', () => {
    const dir = tmp();
    entry(dir, '111', { 'a.txt': 'a' });
    writeFileSync(join(dir, '.upload-222-1-ab'), 'x');
    writeFileSync(join(dir, '.rejected-333-5'), 'x');
    mkdirSync(join(dir, '444'));
    symlinkSync(join(dir, '111'), join(dir, '555'));
    expect(listEntries(dir).map((e) => e.hash)).toEqual(['111']);
  });

  it('forget moves an entry aside, answers undefined for an absent one, and refuses a name that is not a hash', () => {
    const dir = tmp();
    entry(dir, '12619223699951361949', { 'a.txt': 'a' });
    const aside = forgetEntry(dir, '12619223699951361949')!;
    expect(aside).toMatch(/\/\.forgotten-12619223699951361949-\d+$/);
    expect(existsSync(aside)).toBe(true);
    expect(listEntries(dir)).toEqual([]);
    expect(forgetEntry(dir, '12619223699951361949')).toBeUndefined();
    expect(() => forgetEntry(dir, '../x')).toThrow(/not an Nx task hash/);
  });

  it('finds the entries holding a folder by the names inside the archives (ustar prefixes too), not by a name prefix', async () => {
    const dir = tmp();
    const long = `artifacts/llc/95491bd74ec28759/${'deep/'.repeat(20)}estimates.arrow`; // > 100 bytes: prefix + name
    entry(dir, '1', { 'artifacts/llc/95491bd74ec28759/manifest.json': '{}', 'artifacts/llc/95491bd74ec28759/estimates.arrow': 'e' });
    entry(dir, '2', { [long]: 'x' });
    entry(dir, '3', { 'artifacts/llc/95491bd74ec287590/manifest.json': '{}' }); // another key that starts alike
    entry(dir, '4', { './artifacts/train/6bfd07fd66ba1204/final.safetensors': 'w' });
    writeFileSync(join(dir, '5'), 'not an archive');
    expect(await archiveNames(join(dir, '2'))).toEqual([long]);
    const problems: string[] = [];
    expect((await findEntries(dir, 'artifacts/llc/95491bd74ec28759/', problems)).sort()).toEqual(['1', '2']);
    expect(problems).toEqual([expect.stringMatching(/^5: .*not gzip data/)]);
    expect(await findEntries(dir, './artifacts/train/6bfd07fd66ba1204')).toEqual(['4']);
    expect(await findEntries(dir, 'artifacts/circuits/0000000000000000')).toEqual([]);
  });

  it('the quota evicts the least recently used entries until the rest fit, never the one kept', () => {
    const dir = tmp();
    const size = (h: string) => listEntries(dir).find((e) => e.hash === h)!.size;
    entry(dir, '1', { a: 'x'.repeat(3000) }, 400);
    entry(dir, '2', { b: 'y'.repeat(3000) }, 300);
    entry(dir, '3', { c: 'z'.repeat(3000) }, 200);
    entry(dir, '4', { d: 'w'.repeat(3000) }, 100);
    const total = ['1', '2', '3', '4'].reduce((s, h) => s + size(h), 0);
    expect(enforceQuota(dir, total)).toEqual([]); // at the quota: nothing goes
    // room for two: the two oldest go, oldest first
    expect(enforceQuota(dir, size('3') + size('4')).map((e) => e.hash)).toEqual(['1', '2']);
    expect(listEntries(dir).map((e) => e.hash).sort()).toEqual(['3', '4']);
    // room for none: everything but the kept entry
    expect(enforceQuota(dir, 1, '3').map((e) => e.hash)).toEqual(['4']);
    expect(readdirSync(dir)).toEqual(['3']);
  });
});

describe('the server with a quota', () => {
  const servers: CacheServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('evicts the least recently used entry after an upload passes --max-total-bytes; a GET counts as a use', async () => {
    const dir = tmp();
    const body = (c: string) => tarGz({ [`artifacts/x/${c}`]: c.repeat(2000) });
    const one = body('a').length;
    const lines: string[] = [];
    const s = await startCacheServer({ dir, maxTotalBytes: Math.floor(2.5 * one), log: (l) => lines.push(l) });
    servers.push(s);
    const put = (h: string, c: string) => fetch(`${s.url}/v1/cache/${h}`, { method: 'PUT', body: body(c) }).then((r) => r.status);
    const get = (h: string) => fetch(`${s.url}/v1/cache/${h}`).then(async (r) => (await r.arrayBuffer(), r.status));
    expect(await put('1', 'a')).toBe(200);
    expect(await put('2', 'b')).toBe(200);
    // 1 is older by mtime; make the order unambiguous on coarse clocks, then read 1: 2 is now the least recently used
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, '1'), old, old);
    utimesSync(join(dir, '2'), new Date(old.getTime() + 1000), new Date(old.getTime() + 1000));
    expect(await get('1')).toBe(200);
    expect(await put('3', 'c')).toBe(200);
    expect(listEntries(dir).map((e) => e.hash).sort()).toEqual(['1', '3']);
    expect(await get('2')).toBe(404);
    expect(lines.some((l) => /evicted 2 .*--max-total-bytes/.test(l))).toBe(true);
    // a forgotten entry is a miss, and its hash takes a new upload (a PUT over an entry is refused: 409)
    expect(await put('3', 'd')).toBe(409);
    forgetEntry(dir, '3');
    expect(await get('3')).toBe(404);
    expect(await put('3', 'd')).toBe(200);
  });

  it('refuses a quota that is not a positive integer', async () => {
    await expect(startCacheServer({ dir: tmp(), maxTotalBytes: 0 })).rejects.toThrow(/--max-total-bytes: got 0; expected a positive integer/);
  });
});
