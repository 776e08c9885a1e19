// Nx plugin: infers the sortscope pipeline's projects from the experiments of the selected study:
// experiments/**/*.json by default, studies/<name>/** when SORTSCOPE_STUDY=<name> (sweeps expanded).
// The logic lives in packages/workspace/src/nx-plugin.ts (TypeScript, loaded with tsx).
import { tsImport } from 'tsx/esm/api';

const impl = () => tsImport('@sortscope/workspace', import.meta.url);

export const createNodesV2 = [
  '{experiments,studies}/**/*.json',
  async (files, _options, context) => (await impl()).createNodesFromExperiments(files, context.workspaceRoot),
];
