// Nx plugin: infers the sortscope pipeline's projects from experiments/**/*.json.
// The logic lives in src/nx-nodes.ts (TypeScript, loaded with tsx), next to the CLI it drives.
import { tsImport } from 'tsx/esm/api';

const impl = () => tsImport('../src/nx-nodes.ts', import.meta.url);

export const createNodesV2 = [
  'experiments/**/*.json',
  async (files, _options, context) => (await impl()).createNodesFromExperiments(files, context.workspaceRoot),
];
