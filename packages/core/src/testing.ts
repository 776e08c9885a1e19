/**
 * Test helpers shared by every package (imported as '@sortscope/core/testing', never by product
 * code). `useTempDirs` is the one place tests get temporary folders from: each test file calls it
 * once at the top, and every folder it made is removed after each test, so a suite run leaves
 * nothing behind in the system temp directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';

/** `const tmp = useTempDirs('llc-io')`, then `tmp()` in a test: a fresh folder, removed after that test. */
export function useTempDirs(prefix: string, when: 'each' | 'all' = 'each'): () => string {
  const made: string[] = [];
  (when === 'each' ? afterEach : afterAll)(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), `ss-${prefix}-`));
    made.push(d);
    return d;
  };
}
