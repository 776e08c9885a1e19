/**
 * Test helper of the CLI package. CLI tests run the stages from the repository root on configs of
 * their own, so the stages write under the repository's artifacts/; `removeStageFolders` removes
 * every stage folder those configs resolve to (their keys are the tests' own: no real run and no
 * other test file shares them), so a test run leaves artifacts/ as it found it.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

export function removeStageFolders(root: string, bin: string, configs: readonly string[]): void {
  for (const config of configs) {
    const r = spawnSync(process.execPath, [bin, 'plan', '--json', config], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`plan --json ${config} failed: ${r.stderr}`);
    for (const e of JSON.parse(r.stdout) as { stages: Record<string, { dir: string }> }[])
      for (const s of Object.values(e.stages)) rmSync(join(root, s.dir), { recursive: true, force: true });
  }
}
