// Nx plugin: infers the sortscope pipeline's projects from the experiments of the selected study:
// experiments/**/*.json by default, studies/<name>/** when SORTSCOPE_STUDY=<name> (sweeps expanded).
// The logic lives in packages/workspace/src/nx-plugin.ts (TypeScript, loaded with tsx).
import { tsImport } from 'tsx/esm/api';

// the plugin's module alone (not the workspace package's index): it loads the stages' declarations, not their code
const impl = () => tsImport('@sortscope/workspace/nx-plugin', import.meta.url);

export const createNodesV2 = [
  '{experiments,studies}/**/*.json',
  async (files, _options, context) => (await impl()).createNodesFromExperiments(files, context.workspaceRoot),
];
