/**
 * Is a cache entry an archive the Nx client can unpack? Nx stores a task's outputs as a gzip'd tar
 * (nx/src/native/cache: the `tar` and `flate2` crates), and a non-tar entry makes the client stop
 * the whole run with a backtrace instead of counting a miss. So the server checks every archive:
 * an upload that is not one is refused (400), and a stored file that is not one (planted or damaged
 * on a shared folder) is answered as a miss (404) and logged with the command that removes it.
 *
 * The check streams: gunzip, then walk the tar blocks. Each 512-byte header must carry a valid
 * checksum (the byte sum of the header with its 8-byte checksum field read as spaces, written in
 * octal at offset 148) and a size (octal at 124, or base-256 when its first byte has the high bit);
 * the entry's data fills ceil(size / 512) blocks. All-zero blocks end the archive. The stream must
 * end on a block boundary, after at least one header or end block.
 */
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;

/** The octal (or base-256) number in `field`. NaN when it is neither. */
function tarNumber(field: Buffer): number {
  if (field[0] & 0x80) {
    let n = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return n;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').trim();
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : text === '' ? 0 : NaN;
}

/** Walks tar blocks as they arrive; `problem` is set at the first thing that is not tar. */
class TarWalker {
  problem: string | undefined;
  /** the entries' names (ustar prefix + name), in order */
  readonly names: string[] = [];
  private header = Buffer.alloc(BLOCK);
  private filled = 0;
  private skip = 0; // data bytes (whole blocks) of the current entry still to pass over
  private blocks = 0;

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.problem) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      const n = Math.min(BLOCK - this.filled, chunk.length - at);
      chunk.copy(this.header, this.filled, at, at + n);
      this.filled += n;
      at += n;
      if (this.filled === BLOCK) this.readHeader();
    }
  }

  private readHeader(): void {
    this.filled = 0;
    this.blocks++;
    if (this.header.every((b) => b === 0)) return; // an end-of-archive block
    const recorded = tarNumber(this.header.subarray(148, 156));
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : this.header[i];
    if (recorded !== sum) {
      this.problem = `tar header ${this.blocks} has a bad checksum (not a tar archive)`;
      return;
    }
    const size = tarNumber(this.header.subarray(124, 136));
    if (!Number.isFinite(size) || size < 0) {
      this.problem = `tar header ${this.blocks} has no valid size`;
      return;
    }
    this.skip = Math.ceil(size / BLOCK) * BLOCK;
    const text = (a: number, b: number) => this.header.subarray(a, b).toString('utf8').replace(/\0[\s\S]*$/, '');
    const prefix = this.header.subarray(257, 262).toString('latin1') === 'ustar' ? text(345, 500) : '';
    this.names.push(prefix ? `${prefix}/${text(0, 100)}` : text(0, 100));
  }

  end(): string | undefined {
    if (this.problem) return this.problem;
    if (this.blocks === 0) return 'it holds no tar blocks';
    if (this.filled !== 0 || this.skip !== 0) return 'the tar archive is cut short';
    return undefined;
  }
}

/** Why the file at `path` is not a gzip'd tar archive, or undefined when it is one. */
export async function archiveProblem(path: string): Promise<string | undefined> {
  return (await walk(path)).problem;
}

/** The names of the entries of the gzip'd tar at `path` (rejects when it is not one). */
export async function archiveNames(path: string): Promise<string[]> {
  const w = await walk(path);
  if (w.problem !== undefined) throw new Error(`${path}: ${w.problem}`);
  return w.names;
}

async function walk(path: string): Promise<{ problem: string | undefined; names: string[] }> {
  const walker = new TarWalker();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      walker.push(chunk);
      done(walker.problem ? new Error(walker.problem) : undefined);
    },
  });
  try {
    await pipeline(createReadStream(path), createGunzip(), sink);
  } catch (err) {
    return { problem: walker.problem ?? `not gzip data (${(err as Error).message})`, names: walker.names };
  }
  return { problem: walker.end(), names: walker.names };
}
