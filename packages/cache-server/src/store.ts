/**
 * The cache folder of `sortscope cache-server`: one file `<dir>/<hash>` per archive.
 *
 * An upload streams into a fresh temp file in the same folder (`.upload-<hash>-<pid>-<random>`),
 * never held in memory, and stops as soon as it passes `maxBytes`. A complete upload is then
 * published with link(2), which fails with EEXIST when the name exists: an archive is never
 * overwritten, even by another server over the same (shared) folder racing for the same hash.
 * The temp file is removed on every path. Callers validate `name` first (see cache-server.ts).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fstatSync, linkSync, openSync, rmSync, type ReadStream, type WriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';

/** What became of an upload: published, lost the race (the hash exists), too large, cut short, or not an archive. */
export type UploadOutcome = 'stored' | 'exists' | 'too-large' | 'interrupted' | { refused: string };

/**
 * Receive `req`'s body into `<dir>/<name>`; never overwrites, never leaves a temp file behind.
 * `check` (the complete upload's path → why it must not be stored, or undefined) runs before publishing.
 */
export async function storeUpload(dir: string, name: string, req: IncomingMessage, maxBytes: number, check?: (path: string) => Promise<string | undefined>): Promise<UploadOutcome> {
  const tmp = join(dir, `.upload-${name}-${process.pid}-${randomBytes(6).toString('hex')}`);
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644, flush: true });
  try {
    const got = await receive(req, out, maxBytes);
    if (got !== 'complete') return got;
    const problem = await check?.(tmp);
    if (problem !== undefined) return { refused: problem };
    try {
      linkSync(tmp, join(dir, name));
      return 'stored';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw err;
    }
  } finally {
    await closeStream(out); // the file is open (or being opened) until then: remove it only after
    rmSync(tmp, { force: true });
  }
}

/**
 * Copy `req` into `out` until the request ends ('complete', once `out` is flushed and closed),
 * passes `maxBytes` ('too-large', without reading further), or is cut off ('interrupted').
 * Rejects when the file cannot be written.
 */
function receive(req: IncomingMessage, out: WriteStream, maxBytes: number): Promise<'complete' | 'too-large' | 'interrupted'> {
  return new Promise((resolve, reject) => {
    let size = 0;
    let settled = false;
    const settle = (outcome: 'complete' | 'too-large' | 'interrupted' | Error) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) settle('too-large');
      else if (!out.write(chunk)) req.pause();
    };
    req.on('data', onData);
    req.on('end', () => settled || out.end());
    req.on('close', () => req.complete || settle('interrupted'));
    req.on('error', () => settle('interrupted'));
    out.on('drain', () => settled || req.resume());
    out.on('error', (err) => settle(err));
    out.on('close', () => out.errored || settle('complete'));
  });
}

function closeStream(s: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (s.closed) return resolve();
    s.once('close', () => resolve());
    s.destroy();
  });
}

/** The archive `<dir>/<name>` opened for reading with its size, or undefined when there is none. */
export function openEntry(dir: string, name: string): { stream: ReadStream; size: number } | undefined {
  let fd: number;
  try {
    fd = openSync(join(dir, name), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      return undefined;
    }
    return { stream: createReadStream('', { fd }), size: st.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
