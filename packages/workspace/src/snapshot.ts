/**
 * The code a study's cluster jobs run, frozen when their files are written (`study jobs`): a copy
 * of the checkout's sources (bin, tools, packages, the workspace files and the study's folder) with
 * a node_modules of its own whose `@sortscope/*` point into the copy and whose other entries link
 * to the checkout's installed dependencies.
 *
 * Why: a job runs the code it resolves and Nx hashes the files it sees. When a job's workspace
 * linked the checkout's node_modules, `@sortscope/*` resolved to the checkout's packages/ while Nx
 * hashed the job's copy, so an edit to the checkout (or a `git pull`) between submit and run put
 * the edited code's results into the shared cache under the unedited code's hash. From a snapshot,
 * the code run and the code hashed are the same files, whatever happens to the checkout.
 *
 * Not frozen: the third-party dependencies (linked, not copied: node_modules is ~300 MB); an
 * `npm ci` in the checkout while jobs run changes them under the jobs.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The checkout's files a workspace needs (the study's folder is added). */
export const SNAPSHOT_FILES = ['package.json', 'package-lock.json', 'nx.json', 'tsconfig.json', '.gitignore', '.env', 'bin', 'tools', 'packages'];

/**
 * Copy the code of the checkout `root` (and its folder `studyDir`, relative) to the new folder
 * `dest`, written under a temporary name and renamed when complete. `about` goes to dest/SNAPSHOT.
 */
export function snapshotCode(root: string, dest: string, studyDir: string, about: string): void {
  if (existsSync(dest)) throw new Error(`${dest} exists; a snapshot is never overwritten (jobs may be running from it)`);
  const tmp = `${dest}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    for (const f of [...SNAPSHOT_FILES, studyDir]) {
      if (!existsSync(join(root, f))) continue;
      // the packages' own node_modules (npm workspaces may nest some) are linked below, not copied
      cpSync(join(root, f), join(tmp, f), { recursive: true, filter: (s) => !relative(root, s).split('/').includes('node_modules') });
    }
    const modules = join(root, 'node_modules');
    mkdirSync(join(tmp, 'node_modules', '@sortscope'), { recursive: true });
    for (const e of readdirSync(modules)) {
      if (e === '@sortscope') continue;
      symlinkSync(join(modules, e), join(tmp, 'node_modules', e));
    }
    // the workspace's own packages: relative links into the snapshot's packages/
    for (const p of readdirSync(join(tmp, 'packages'))) {
      const manifest = join(tmp, 'packages', p, 'package.json');
      if (!existsSync(manifest)) continue;
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name ?? '';
      if (name.startsWith('@sortscope/')) symlinkSync(join('..', '..', 'packages', p), join(tmp, 'node_modules', name));
    }
    writeFileSync(join(tmp, 'SNAPSHOT'), `${about}\n`);
    renameSync(tmp, dest);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
