/**
 * `sortscope schema`: the JSON Schema of experiment files (for editors; experiments point at
 * docs/experiment.schema.json through "$schema"). A test keeps the committed copy up to date.
 */
import { writeFileAtomic } from '@sortscope/core';
import { z } from 'zod';
import { ExperimentSchema } from './experiment.ts';
import { SweepSchema } from './sweep.ts';
import type { Command } from './main.ts';

export function experimentJsonSchema(): string {
  const schema = z.toJSONSchema(ExperimentSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'sortscope experiment', description: 'One section per pipeline stage; every field has a default.' }, null, 2)}\n`;
}

/** The sweep schema, with `base` described as an experiment (for editors). */
export function sweepJsonSchema(): string {
  const schema = z.toJSONSchema(SweepSchema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown> };
  const experiment = z.toJSONSchema(ExperimentSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete experiment.$schema;
  schema.properties.base = { ...experiment, description: 'the experiment every member starts from' };
  return `${JSON.stringify({ ...schema, title: 'sortscope sweep', description: 'A base experiment, named cases and a grid of dotted-path values; members = cases × grid.' }, null, 2)}\n`;
}

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
    const text = args.globals.sweep ? sweepJsonSchema() : experimentJsonSchema();
    if (args.globals.out) writeFileAtomic(String(args.globals.out), text);
    else process.stdout.write(text);
    return 0;
  },
};
