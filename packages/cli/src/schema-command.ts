/**
 * `sortscope schema`: the JSON Schema of experiment files (for editors; experiments point at
 * docs/experiment.schema.json through "$schema"). A test keeps the committed copy up to date.
 */
import type { Command } from './command.ts';

export const schemaCommand: Command = {
  spec: {
    name: 'schema',
    summary: 'Print (or write) the JSON Schema of experiment (or sweep) files.',
    globals: [
      { name: 'out', type: 'string', value: 'FILE', description: 'write to FILE (e.g. docs/experiment.schema.json) instead of stdout' },
      { name: 'sweep', type: 'boolean', description: 'the schema of *.sweep.json files (docs/sweep.schema.json)' },
    ],
  },
  async run(args) {
    const [{ writeFileAtomic }, { experimentJsonSchema, sweepJsonSchema }] = await Promise.all([import('@sortscope/core'), import('@sortscope/workspace')]);
    const text = args.globals.sweep ? sweepJsonSchema() : experimentJsonSchema();
    if (args.globals.out) writeFileAtomic(String(args.globals.out), text);
    else process.stdout.write(text);
    return 0;
  },
};
