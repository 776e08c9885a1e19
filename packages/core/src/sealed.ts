/**
 * Sealed files: a file that a later run will trust (a training run's `partial/` checkpoints and
 * resume states, the llc stage's finished checkpoints) gets a sidecar `<file>.sha256` holding the
 * sha256 of its bytes, written atomically after the file itself. A resumed run reads such a file
 * only when the sidecar is there and matches: a file damaged or edited in place (bytes that still
 * parse, e.g. one changed float) is found, not resumed from, and recomputed; a crash between the
 * file and its sidecar leaves a file without a seal, which is recomputed too.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from './atomic.ts';
import { sha256Hex as sha256 } from './canonical.ts';

export const sealFile = (path: string) => `${path}.sha256`;

/** Write `data` atomically to `path`, then its seal. */
export function writeSealed(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  writeFileAtomic(path, bytes);
  writeFileAtomic(sealFile(path), `${sha256(bytes)}\n`);
}

/** Seal a file already written (atomically) by someone else, e.g. an Arrow writer. */
export function sealWritten(path: string): void {
  writeFileAtomic(sealFile(path), `${sha256(readFileSync(path))}\n`);
}

/** null when `path` and its seal agree; otherwise why it cannot be trusted. */
export function checkSealed(path: string): string | null {
  if (!existsSync(path)) return `${path} is missing`;
  if (!existsSync(sealFile(path))) return `${path} has no ${sealFile(path).split('/').pop()} (it was not finished, or written by an older sortscope)`;
  const recorded = readFileSync(sealFile(path), 'utf8').trim();
  const now = sha256(readFileSync(path));
  return recorded === now ? null : `${path} was changed after it was written (sha256 ${recorded.slice(0, 12)}… recorded, ${now.slice(0, 12)}… now)`;
}

/** Remove a file and its seal. */
export function removeSealed(path: string): void {
  rmSync(path, { force: true });
  rmSync(sealFile(path), { force: true });
}
