/**
 * `sortscope schema`: the JSON Schema of experiment files (for editors; experiments point at
 * docs/experiment.schema.json through "$schema"). A test keeps the committed copy up to date.
 */
import { writeFileAtomic } from '@sortscope/core';
import { z } from 'zod';
import { ExperimentSchema } from './experiment.ts';
import type { Command } from './main.ts';

export function experimentJsonSchema(): string {
  const schema = z.toJSONSchema(ExperimentSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'sortscope experiment', description: 'One section per pipeline stage; every field has a default.' }, null, 2)}\n`;
}

export const schemaCommand: Command = {
  spec: {
    name: 'schema',
    summary: 'Print (or write) the JSON Schema of experiment files.',
    globals: [{ name: 'out', type: 'string', value: 'FILE', description: 'write to FILE (e.g. docs/experiment.schema.json) instead of stdout' }],
  },
  async run(args) {
    const text = experimentJsonSchema();
    if (args.globals.out) writeFileAtomic(String(args.globals.out), text);
    else process.stdout.write(text);
    return 0;
  },
};
