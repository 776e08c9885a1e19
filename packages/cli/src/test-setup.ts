/**
 * Vitest global setup of the CLI tests: after every file has run (so no test is still writing),
 * remove the folders under the repository's artifacts/ that the tests left empty and that did
 * not exist before (testing.ts removes the stage folders themselves).
 */
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ARTIFACTS_DIR } from '@sortscope/core';
import { STAGE_NAMES } from '@sortscope/workspace';

const ARTIFACTS = resolve(import.meta.dirname, '../../..', ARTIFACTS_DIR);

export default function setup(): () => void {
  const before = new Set([ARTIFACTS, ...STAGE_NAMES.map((s) => join(ARTIFACTS, s))].filter((d) => existsSync(d)));
  return () => {
    for (const d of [...STAGE_NAMES.map((s) => join(ARTIFACTS, s)), ARTIFACTS]) {
      if (!before.has(d) && existsSync(d) && readdirSync(d).length === 0) rmdirSync(d);
    }
  };
}
