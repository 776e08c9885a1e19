/** `sortscope findings --claims --into FILE`: the claims table written into a Markdown file's block. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';

const tmp = useTempDirs('findings-cli', 'all');
const ROOT = resolve(import.meta.dirname, '../../..');
const findings = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), 'findings', '--study', 'claims', '--from', join(ROOT, 'docs/findings/claims.json'), '--claims', '--quiet', ...args], { cwd: ROOT, encoding: 'utf8' });

describe('findings --claims --into', () => {
  it('replaces the block between the markers with exactly what it prints, and leaves the rest', () => {
    const page = join(tmp(), 'page.md');
    const begin = '<!-- sortscope findings --study claims --claims: begin -->';
    const end = '<!-- sortscope findings --study claims --claims: end -->';
    writeFileSync(page, `# A page\n\ntext before\n\n${begin}\nan old table\n${end}\n\ntext after\n`);
    const r = findings('--into', page);
    expect(r.status, r.stderr).toBe(0);
    // the table, after the line naming the groups held from an earlier llc version while there are any
    expect(r.stdout).toMatch(/^(\*\*LLC versions\.\*\* \d+ of \d+ experiments are held from earlier stage versions[^\n]*\n\n)?\| # \| claim \| verdict \|/);
    expect(readFileSync(page, 'utf8')).toBe(`# A page\n\ntext before\n\n${begin}\n${r.stdout}${end}\n\ntext after\n`);
  });

  it('refuses a file without the block, or no file, naming it (exit 2), and changes nothing', () => {
    const page = join(tmp(), 'plain.md');
    writeFileSync(page, '# no block here\n');
    const r = findings('--into', page);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/plain\.md: no block to write the table into; expected a line "<!-- sortscope findings --study claims --claims: begin -->"/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(page, 'utf8')).toBe('# no block here\n');
    const none = findings('--into', join(tmp(), 'missing.md'));
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/--into: .*missing\.md does not exist/);
  });
});
