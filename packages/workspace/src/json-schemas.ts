/**
 * The JSON Schemas of experiment and sweep files (for editors; experiments point at
 * docs/experiment.schema.json through "$schema"), generated from the zod schemas.
 */
import { z } from 'zod';
import { ExperimentSchema } from './experiment.ts';
import { SweepSchema } from './sweep.ts';

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
