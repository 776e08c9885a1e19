/**
 * `sortscope cache-server forget`: take wrong entries out of a shared Nx cache folder, by Nx task
 * hash or by the artifacts folder they hold (packages/cache-server/src/manage.ts). A forgotten
 * entry is moved aside (`.forgotten-<hash>-<time>`, kept for inspection), so the next run computes
 * the task again and stores the new result. Works on the folder itself: no server needs to run,
 * and a running server serves the change at once.
 */
import { existsSync, statSync } from 'node:fs';
import { ArtifactError, ConfigError } from '@sortscope/core/errors';
import { log } from '@sortscope/core/progress';
import type { Command } from './command.ts';

export const cacheForgetCommand: Command = {
  spec: {
    name: 'cache-server forget',
    summary: "Take entries out of a shared Nx cache folder (moved aside, never served again), by task hash or by the artifacts folder they hold, so the next run recomputes them.",
    globals: [
      { name: 'dir', type: 'string', value: 'DIR', description: "the cache server's folder (required)" },
      { name: 'folder', type: 'string', value: 'PATH', description: 'forget every entry that holds this artifacts folder, e.g. artifacts/llc/95491bd74ec28759' },
      { name: 'dry-run', type: 'boolean', description: 'list what would be forgotten, change nothing' },
      { name: 'quiet', type: 'boolean', description: 'no log lines on stderr' },
    ],
    positionals: '[HASH ...]',
    notes: ["Also clear each machine's local Nx cache (npx nx reset), or run once with --skipRemoteCache: docs/study.md, \"A wrong cache entry\"."],
  },
  async run(args) {
    const dir = args.globals.dir as string | undefined;
    if (!dir) throw new ConfigError("sortscope cache-server forget: --dir DIR is required (see 'sortscope cache-server forget --help')");
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`--dir ${dir}: not a folder; expected the cache server's folder`);
    const folder = args.globals.folder as string | undefined;
    if (folder === undefined && args.positionals.length === 0) throw new ConfigError('sortscope cache-server forget: give task hashes, or --folder artifacts/<stage>/<key>');
    const quiet = Boolean(args.globals.quiet);
    const { findEntries, forgetEntry, TASK_HASH } = await import('@sortscope/cache-server');
    for (const h of args.positionals) if (!TASK_HASH.test(h)) throw new ConfigError(`${JSON.stringify(h)}: not an Nx task hash; expected 1 to 20 digits`);
    const hashes = new Set(args.positionals);
    if (folder !== undefined) {
      const problems: string[] = [];
      const found = await findEntries(dir, folder, problems);
      for (const p of problems) log(`cache-server forget: skipped an entry that is not an archive: ${p}`, quiet);
      log(`cache-server forget: ${found.length} entr${found.length === 1 ? 'y holds' : 'ies hold'} ${folder}`, quiet);
      for (const h of found) hashes.add(h);
    }
    const missing: string[] = [];
    for (const h of hashes) {
      if (args.globals['dry-run']) {
        process.stdout.write(`${h}\n`);
        continue;
      }
      const aside = forgetEntry(dir, h);
      if (aside === undefined) missing.push(h);
      else process.stdout.write(`${h} → ${aside}\n`);
    }
    if (missing.length) throw new ArtifactError(`${missing.join(', ')}: no such entr${missing.length === 1 ? 'y' : 'ies'} in ${dir}`);
    if (hashes.size === 0) throw new ArtifactError(`no entry of ${dir} holds ${folder}`);
    return 0;
  },
};
