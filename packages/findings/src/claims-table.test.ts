import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockOf, CLAIMS_BLOCK, claimsTable, replaceBlock } from './claims-table.ts';
import { readCompact } from './compact-file.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('the claims table in a Markdown file', () => {
  it('replaces only the text between the markers, and says which file has none', () => {
    const md = 'intro\n<!-- x: begin -->\nold\n<!-- x: end -->\nrest\n';
    const out = replaceBlock(md, 'x', 'new\n', 'a.md');
    expect(out).toBe('intro\n<!-- x: begin -->\nnew\n<!-- x: end -->\nrest\n');
    expect(blockOf(out, 'x')).toBe('new\n');
    expect(blockOf(md, 'y')).toBeNull();
    expect(() => replaceBlock(md, 'y', 'z', 'a.md')).toThrow(/a\.md: no block to write the table into; expected a line "<!-- y: begin -->"/);
    expect(() => replaceBlock('<!-- x: begin -->\nno end\n', 'x', 'z', 'b.md')).toThrow(/b\.md/);
  });

  it('docs/findings.md holds exactly what `findings --study claims --claims` prints from the committed results', () => {
    const md = readFileSync(resolve(ROOT, 'docs/findings.md'), 'utf8');
    const block = blockOf(md, CLAIMS_BLOCK);
    expect(block, 'docs/findings.md has no claims block').not.toBeNull();
    const table = claimsTable(readCompact(resolve(ROOT, 'docs/findings/claims.json')).experiments);
    // when this fails after a save: npx sortscope findings --study claims --claims --into docs/findings.md
    expect(block).toBe(table);
  });
});
