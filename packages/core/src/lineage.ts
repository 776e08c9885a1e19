/**
 * Lineage of a stage's artifact folder: `manifest.json`, written last when a stage finishes, records
 *   stage, key          which stage wrote the folder, and the key of its resolved config + upstream
 *   files               name → sha256 of every artifact in the folder (its content hash)
 *   inputs              upstream stage → { key, manifest: that folder's fingerprint }
 *   experiment          the experiment whose run computed the folder (informative only)
 * where a folder's fingerprint is sha256 of canonical {stage, key, files}: one hash per input pins
 * every byte the stage read. `verifyStageDir` checks a folder before
 * anything reads it: the manifest exists and is this stage's with the expected key, every listed
 * file hashes to its recorded value, and (given the upstream folders) every input still has the
 * manifest it was computed from. A folder without a manifest is a stage that did not finish (or a
 * sortscope from before lineage): it is refused, never computed on.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { canonicalJson, sha256Hex } from './canonical.ts';
import { ArtifactError } from './errors.ts';

export const MANIFEST = 'manifest.json';

export interface Manifest {
  stage: string;
  key: string;
  files: Record<string, string>;
  inputs: Record<string, { key: string; manifest: string }>;
  experiment?: string;
}

/** What a downstream folder records of an upstream one: its stage, key and files, hashed. */
export function fingerprint(m: Manifest): string {
  return sha256Hex(canonicalJson({ stage: m.stage, key: m.key, files: m.files }));
}

/** the artifacts of a folder: its regular top-level files, except dotfiles (locks, temporaries) and the manifest */
function artifactFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.') && f !== MANIFEST && statSync(join(dir, f)).isFile())
    .sort();
}

const fileSha = (path: string) => sha256Hex(readFileSync(path));

/**
 * A rerun over a finished folder computes into `<dir>/.next` and swaps the result in at the end
 * (workspace/stage-guard.ts), so a rerun cut short never costs the finished result.
 */
export const STAGED = '.next';

/** The subfolder where a resumable stage (train, llc) keeps its sealed resume state until its manifest is written. */
export const PARTIAL = 'partial';

/**
 * Move a complete staged result (`<dir>/.next` with its manifest) into `dir`: its files, then its
 * manifest last; files of the old result that the new one does not list are removed. Every step
 * is a rename, and calling it again completes a swap that was cut short. A staged folder without a
 * manifest (a rerun still running or killed) is left alone. Returns whether a swap was done.
 */
export function completeStagedResult(dir: string): boolean {
  const next = join(dir, STAGED);
  const staged = join(next, MANIFEST);
  if (!existsSync(staged)) return false;
  const m = JSON.parse(readFileSync(staged, 'utf8')) as Manifest;
  clearManifest(dir); // from here the old result is no longer certified
  for (const f of Object.keys(m.files)) if (existsSync(join(next, f))) renameSync(join(next, f), join(dir, f));
  for (const f of artifactFiles(dir)) if (!(f in m.files)) rmSync(join(dir, f), { force: true });
  renameSync(staged, join(dir, MANIFEST));
  rmSync(next, { recursive: true, force: true });
  return true;
}

/** Remove a folder's manifest: from now until `writeManifest`, the folder is incomplete. */
export function clearManifest(dir: string): void {
  rmSync(join(dir, MANIFEST), { force: true });
}

/** Record the folder's files and its inputs' manifests (call after every artifact is written). */
export function writeManifest(dir: string, stage: string, key: string, upstreamDirs: Record<string, string>, experiment?: string): Manifest {
  const files = Object.fromEntries(artifactFiles(dir).map((f) => [f, fileSha(join(dir, f))]));
  const inputs = Object.fromEntries(
    Object.entries(upstreamDirs)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, d]) => {
        const up = readManifest(d, s);
        return [s, { key: up.key, manifest: fingerprint(up) }];
      }),
  );
  const manifest: Manifest = { stage, key, files, inputs, ...(experiment ? { experiment } : {}) };
  writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readManifest(dir: string, stage: string, regenerate = `npx sortscope ${stage} --config <experiment.json>`): Manifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(dir)) throw new ArtifactError(`${dir} does not exist; create it with: ${regenerate}`);
  if (!existsSync(path)) {
    throw new ArtifactError(`${dir} has no ${MANIFEST}: the ${stage} stage did not finish there (or it was written before artifacts recorded their lineage); rerun it: ${regenerate}`);
  }
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ArtifactError(`${path} is not valid JSON (${(err as Error).message}); rerun the stage: ${regenerate}`);
  }
  const ok = isRecord(m) && typeof m.stage === 'string' && typeof m.key === 'string' && isRecord(m.files) && isRecord(m.inputs) && Object.values(m.files).every((v) => typeof v === 'string');
  if (!ok) throw new ArtifactError(`${path} is not a sortscope manifest (expected {stage, key, files, inputs}); rerun the stage: ${regenerate}`);
  return m as unknown as Manifest;
}

/**
 * How to regenerate a stage folder, for error messages. Under Nx a damaged folder can come back
 * from Nx's cache, so the Nx form skips the cache, and `nx reset` clears the local one.
 */
export function regenerateHint(stage: string, experimentFile = '<experiment.json>'): string {
  return `npx sortscope ${stage} --config ${experimentFile} (or npx nx run-many -t analyze --skip-nx-cache; if Nx restored the damage from its cache, npx nx reset clears the local one)`;
}

/**
 * A file given on the command line (`--weights`, `--checkpoints`) that lies in a stage folder must
 * still be what that folder's manifest recorded: a damaged `checkpoints.arrow` or
 * `final.safetensors` is refused rather than read. Files outside stage folders, or not listed in
 * the manifest (a user's own file beside it), are not checked. `bytes`: the file's content, when
 * the caller has read it already.
 */
export function checkRecordedHash(path: string, bytes?: Uint8Array): void {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return; // a missing file: its reader says so
  }
  const dir = dirname(real);
  if (!existsSync(join(dir, MANIFEST))) return;
  const m = readManifest(dir, '<stage>', regenerateHint('<stage>')); // which stage: the manifest says, once it is read
  const recorded = m.files[basename(real)];
  if (recorded === undefined) return;
  const now = bytes ? sha256Hex(bytes) : fileSha(real);
  if (now !== recorded) {
    throw new ArtifactError(`${path} was changed after the ${m.stage} stage wrote it (sha256 ${recorded.slice(0, 12)}… recorded in ${join(dir, MANIFEST)}, ${now.slice(0, 12)}… now); regenerate it: ${regenerateHint(m.stage)}`);
  }
}

export interface VerifyOptions {
  /** the key the folder must hold (default: its name, when that looks like a key) */
  key?: string;
  /** upstream stage → folder: each must still hold the manifest this folder was computed from */
  upstreamDirs?: Record<string, string>;
  /** how to regenerate the folder */
  regenerate?: string;
}

/** Refuse a stage folder whose lineage or content does not check out; return its manifest. */
export function verifyStageDir(dir: string, stage: string, opts: VerifyOptions = {}): Manifest {
  const regenerate = opts.regenerate ?? `npx sortscope ${stage} --config <experiment.json>`;
  const m = readManifest(dir, stage, regenerate);
  if (m.stage !== stage) throw new ArtifactError(`${dir} holds ${m.stage} artifacts, expected ${stage}; rerun: ${regenerate}`);
  const key = opts.key ?? (/^[0-9a-f]{16}$/.test(basename(dir)) ? basename(dir) : undefined);
  if (key !== undefined && m.key !== key) {
    throw new ArtifactError(`${dir} holds the artifacts of ${stage} ${m.key}, not of ${key} (copied from another run?); delete it and rerun: ${regenerate}`);
  }
  for (const [file, sha] of Object.entries(m.files)) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new ArtifactError(`${path} is missing (the ${MANIFEST} beside it lists it); rerun: ${regenerate}`);
    const now = fileSha(path);
    if (now !== sha) {
      throw new ArtifactError(`${path} was changed after the ${stage} stage wrote it (sha256 ${sha.slice(0, 12)}… recorded, ${now.slice(0, 12)}… now); delete the folder and rerun: ${regenerate}`);
    }
  }
  for (const [s, d] of Object.entries(opts.upstreamDirs ?? {})) {
    const rec = m.inputs[s];
    if (!rec) throw new ArtifactError(`${dir} does not record a ${s} input; rerun: ${regenerate}`);
    const up = readManifest(d, s);
    // recorded as the fingerprint, or (folders written before fingerprints) as the manifest file's sha256
    if (up.key !== rec.key || (fingerprint(up) !== rec.manifest && fileSha(join(d, MANIFEST)) !== rec.manifest)) {
      throw new ArtifactError(`${dir} was computed from ${s} ${rec.key} as it was then, but ${d} now holds other artifacts; rerun: ${regenerate}`);
    }
  }
  return m;
}
