/**
 * Vitest global setup of the CLI tests: after every file has run (so no test is still writing),
 * remove the folders under the repository's artifacts/ that the tests left empty and that did
 * not exist before (testing.ts removes the stage folders themselves).
 */
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ARTIFACTS = resolve(import.meta.dirname, '../../../artifacts');
const STAGES = ['dataset', 'train', 'circuits', 'llc'];

export default function setup(): () => void {
  const before = new Set([ARTIFACTS, ...STAGES.map((s) => join(ARTIFACTS, s))].filter((d) => existsSync(d)));
  return () => {
    for (const d of [...STAGES.map((s) => join(ARTIFACTS, s)), ARTIFACTS]) {
      if (!before.has(d) && existsSync(d) && readdirSync(d).length === 0) rmdirSync(d);
    }
  };
}
