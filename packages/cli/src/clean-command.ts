/**
 * `sortscope clean`: the stage folders under artifacts/ that no experiment of any study references
 * (an edited config leaves its old folders behind; content-addressed keys never overwrite them).
 * Dry run by default: it lists them with their sizes; `--yes` removes them. A folder another
 * process holds (its `.lock`) is never removed, nor is a folder such a process reads (its upstream
 * folders, recorded in the lock). Reports (artifacts/report*) are left alone.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { ParsedArgs } from '@sortscope/core/cli-args';
import type { Command } from './command.ts';

function sizeOf(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((a, f) => a + sizeOf(join(path, f)), 0);
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export const cleanCommand: Command = {
  spec: {
    name: 'clean',
    summary: 'List (or with --yes remove) the artifact folders that no experiment of any study references.',
    globals: [
      { name: 'yes', type: 'boolean', description: 'remove them (default: only list them)' },
      { name: 'quiet', type: 'boolean', description: 'no log lines on stderr' },
    ],
    notes: ['Every study counts (experiments/ and each folder of studies/). Folders locked by a running stage are kept, and so are the folders it reads.'],
  },
  async run(args: ParsedArgs, root: string) {
    const { log } = await import('@sortscope/core');
    const quiet = Boolean(args.globals.quiet);
    const { orphanedFolders, stageFolders } = await import('@sortscope/workspace');
    const { lockedReads } = await import('@sortscope/core');
    const orphans = await orphanedFolders(root);
    // a running stage's own folder, and the folders it reads (recorded in its lock), are in use
    const read = new Set(stageFolders(root).flatMap((d) => (existsSync(join(d, '.lock')) ? lockedReads(d).map((r) => resolve(r)) : [])));
    let total = 0;
    let removed = 0;
    for (const dir of orphans) {
      const size = sizeOf(dir);
      total += size;
      const busy = existsSync(join(dir, '.lock')) ? '  (in use: kept)' : read.has(resolve(dir)) ? '  (read by a running stage: kept)' : '';
      process.stdout.write(`${relative(root, dir)}  ${mb(size)}${busy}\n`);
      if (args.globals.yes && !busy) {
        rmSync(dir, { recursive: true, force: true });
        removed++;
      }
    }
    if (orphans.length === 0) log('clean: every artifact folder is referenced by an experiment', quiet);
    else if (args.globals.yes) log(`clean: removed ${removed} of ${orphans.length} folders (${mb(total)})`, quiet);
    else log(`clean: ${orphans.length} folders (${mb(total)}) no experiment references; remove them with: npx sortscope clean --yes`, quiet);
    return 0;
  },
};
