/**
 * The machine said no: a full disk, a read-only file system, a permission, a port in use, a host
 * that does not resolve, memory that cannot be had. Node reports these as system errors (`code`
 * ENOSPC, EROFS, …, with `path`, `dest`, `address`, `port`, `hostname`) or, for memory, as a
 * RangeError. `environmentError` turns each into one line that names the path or address, says what
 * to do, and carries an exit code (3 for a file or folder that cannot be used, 2 for an address or
 * a size the flags chose); anything else is left alone (undefined: a defect, exit 1).
 *
 * The CLI applies it once, at the top (packages/cli/src/main.ts, and bin/sortscope.mjs for errors
 * raised outside a command's promise), so no stage needs its own handling: a stage that fails
 * this way has written nothing half-done (artifacts are written atomically, and the previous
 * finished folder is kept), so the advice "rerun the same command" is always safe.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { SortscopeError } from './errors.ts';

/** A system failure, said plainly. */
export class EnvironmentError extends SortscopeError {
  override name = 'EnvironmentError';
  override readonly exitCode: number;
  constructor(message: string, exitCode: 2 | 3) {
    super(message);
    this.exitCode = exitCode;
  }
}

interface SystemErrorLike {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  dest?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  message?: unknown;
  name?: unknown;
}

const RERUN = 'then rerun the same command (finished stage folders are kept; train and llc resume from their last saved checkpoint)';

/** Where it happened: `a → b` for a rename or link, the path, or the failing call. */
function where(e: SystemErrorLike): string {
  if (typeof e.path === 'string' && typeof e.dest === 'string') return `${e.path} → ${e.dest}`;
  if (typeof e.path === 'string') return e.path;
  return typeof e.syscall === 'string' ? `(${e.syscall})` : '(a file)';
}

function address(e: SystemErrorLike): string {
  const host = typeof e.address === 'string' ? e.address : typeof e.hostname === 'string' ? e.hostname : '?';
  return typeof e.port === 'number' ? `${host}:${e.port}` : host;
}

/** Messages of V8 and WebAssembly when memory cannot be allocated. */
const OUT_OF_MEMORY = /out of memory|allocation failed|could not allocate memory|maximum memory size exceeded|Cannot allocate Wasm memory|OOM/i;

/**
 * Node's recursive mkdir says ENOENT for the folder it was asked to make when the real cause is
 * that an ancestor cannot be written (a read-only file system, a permission): ask the deepest
 * existing ancestor for write access to find the real error.
 */
function mkdirCause(e: SystemErrorLike): SystemErrorLike {
  if (e.code !== 'ENOENT' || e.syscall !== 'mkdir' || typeof e.path !== 'string') return e;
  let dir = e.path;
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) return e;
    dir = up;
  }
  try {
    accessSync(dir, constants.W_OK);
    return e;
  } catch (cause) {
    return { ...(cause as SystemErrorLike), syscall: 'mkdir', path: e.path };
  }
}

/** `err` as a clear error when it is a failure of the machine (see the file comment); otherwise undefined. */
export function environmentError(err: unknown): EnvironmentError | undefined {
  if (err instanceof EnvironmentError) return err;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = mkdirCause(err as SystemErrorLike);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const call = typeof e.syscall === 'string' ? e.syscall : undefined;
  switch (code) {
    case 'ENOSPC':
      return new EnvironmentError(`no space left on the device while writing ${where(e)}: free some space (df -h shows where), ${RERUN}`, 3);
    case 'EDQUOT':
      return new EnvironmentError(`disk quota exceeded while writing ${where(e)}: free some space or raise the quota, ${RERUN}`, 3);
    case 'EROFS':
      return new EnvironmentError(`${where(e)} is on a read-only file system: run from a writable clone or choose a writable --out-dir`, 3);
    case 'EACCES':
    case 'EPERM':
      return new EnvironmentError(`permission denied (${call ?? 'access'}) on ${where(e)}: give this user access to it, or run from a clone this user owns`, 3);
    case 'EISDIR':
      // a rename onto a folder: the folder is the destination
      return new EnvironmentError(`${typeof e.dest === 'string' ? e.dest : where(e)} is a folder; expected a file`, 3);
    case 'ENOTDIR':
      return new EnvironmentError(`${where(e)}: a part of this path is a file; expected a folder`, 3);
    case 'ELOOP':
      return new EnvironmentError(`${where(e)}: too many levels of symbolic links (a link that points back to itself?)`, 3);
    case 'ENAMETOOLONG':
      return new EnvironmentError(`${where(e)}: the path is too long for the file system`, 3);
    case 'EEXIST':
      // mkdir -p through a file: the file is in the way
      if (e.syscall === 'mkdir') return new EnvironmentError(`${where(e)} is a file; expected a folder (outputs are written under it)`, 3);
      return new EnvironmentError(`${where(e)} already exists where sortscope expected to create it: another process may be writing there; wait for it, or remove the path and rerun`, 3);
    case 'ENOENT':
      return new EnvironmentError(`${where(e)} does not exist (${call ?? 'open'}): was it removed while the command ran?`, 3);
    case 'EMFILE':
    case 'ENFILE':
      return new EnvironmentError(`too many open files (${call ? `${call} ` : ''}${where(e)}): raise the limit (ulimit -n) or run fewer tasks at once`, 3);
    case 'EIO':
      return new EnvironmentError(`input/output error on ${where(e)}: the disk or network file system failed; check it, ${RERUN}`, 3);
    case 'EADDRINUSE':
      return new EnvironmentError(`cannot listen on ${address(e)}: another process uses that port; choose another --port`, 2);
    case 'EADDRNOTAVAIL':
      return new EnvironmentError(`cannot listen on ${address(e)}: not an address of this machine; check --host`, 2);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new EnvironmentError(`cannot resolve the host ${address(e)}: check the host name (--host, or the host of a URL) and this machine's network`, 2);
    case 'ECONNREFUSED':
      return new EnvironmentError(`nothing listens at ${address(e)}: check the URL's host and port, and that the server runs`, 2);
  }
  // tfjs' WebAssembly backend does not check its malloc: a failed allocation is a write through a
  // null pointer, "memory access out of bounds", or an emscripten abort ("Aborted()")
  if (e.name === 'RuntimeError' && typeof e.message === 'string' && /memory access out of bounds|^Aborted\(/.test(e.message)) {
    return new EnvironmentError(
      `the WebAssembly engine stopped (${e.message}), which almost always means it ran out of memory (a WebAssembly instance gets at most 4 GiB): lower the batch_size, --workers or the model's size; if a small run does this, please report it`,
      2,
    );
  }
  if (e.name === 'RangeError' && typeof e.message === 'string' && OUT_OF_MEMORY.test(e.message)) {
    return new EnvironmentError(
      `out of memory (${e.message}): the run needs more memory than this process can get; lower --workers, the LLC's batch_size or the model's size, or free memory on this machine`,
      2,
    );
  }
  return undefined;
}
