/**
 * Reading a file a user names (`--weights`, `--data`, an artifact): regular files only, of a size
 * that can be read at once. A FIFO, a device such as /dev/zero or a folder would otherwise block or
 * read forever (#29), and a file beyond Node's single-read limit fails with an internal error.
 */
import { readFileSync, type Stats, statSync } from 'node:fs';
import { environmentError } from './environment-error.ts';
import { ArtifactError } from './errors.ts';

/** The largest file read in one piece (2 GiB − 1, what readFileSync can return). */
export const MAX_INPUT_BYTES = 2 ** 31 - 1;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The bytes of `path`; an ArtifactError (exit 3) naming it (`what`, e.g. '--data') when it cannot be one. */
export function readInputFile(path: string, what: string, maxBytes = MAX_INPUT_BYTES): Buffer {
  const name = what ? `${what} ${path}` : path;
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ArtifactError(e.code === 'ENOENT' ? `${name} does not exist` : cannotRead(name, e));
  }
  if (!st.isFile()) throw new ArtifactError(`${name} is ${kindOf(st)}; expected a regular file`);
  if (st.size > maxBytes) throw new ArtifactError(`${name} is ${st.size.toLocaleString('en-US')} bytes; at most ${maxBytes.toLocaleString('en-US')} can be read`);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ArtifactError(cannotRead(name, err as NodeJS.ErrnoException));
  }
}

/** `cannot read NAME: permission denied (…) on …` — the plain words of environmentError, or the code. */
function cannotRead(name: string, e: NodeJS.ErrnoException): string {
  const plain = environmentError({ ...e, path: name, name: e.name, message: e.message });
  return plain ? plain.message : `cannot read ${name}: ${e.code ?? e.message}`;
}
