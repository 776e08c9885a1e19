/**
 * Config validation with messages a researcher can act on.
 *
 * Every stage has one zod schema (defaults, bounds, descriptions). `parseSection` validates a
 * raw value against it and turns zod's issues into one line per problem:
 *   experiments/x.json: dataset.noise.p: got 1.5; expected a number <= 1
 * naming the source, the field path, the value and what was expected. Unknown keys list the
 * keys that are allowed and suggest the nearest one. The error is a ConfigError (exit code 2).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { type JsonSchema, objectKeysAt } from './json-schema.ts';

export type ZodSchema = z.ZodType;

/** Validate `raw` against `schema`; throw a ConfigError that lists every problem. */
export function parseSection<S extends ZodSchema>(schema: S, raw: unknown, opts: { source: string; prefix?: string[] }): z.output<S> {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const lines = result.error.issues.flatMap((issue) => formatIssue(issue, raw, jsonSchema, opts.prefix ?? []));
  throw new ConfigError(`invalid config in ${opts.source}:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

/** Read a JSON file, with a ConfigError naming the file when it is missing or not JSON. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Deep-merge plain objects (`over` wins); arrays and scalars are replaced, not merged. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Issue = z.core.$ZodIssue & { input?: unknown };

function formatIssue(issue: Issue, raw: unknown, schema: JsonSchema, prefix: string[]): string[] {
  const path = issue.path.map(String);
  const where = [...prefix, ...path].join('.') || '(top level)';
  const got = 'input' in issue && issue.input !== undefined ? `got ${show(issue.input)}` : 'missing';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = objectKeysAt(schema, path, raw);
      return issue.keys.map((key) => {
        const hint = nearest(key, allowed);
        const full = [...prefix, ...path, key].join('.');
        return `${full}: unknown key; expected one of ${allowed.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`;
      });
    }
    case 'invalid_type': {
      // JSON has no Infinity: a file's number became one by overflowing a double (e.g. 1e400)
      if (issue.input === Infinity || issue.input === -Infinity) return [`${where}: got ${show(issue.input)} (the number overflows); expected a finite number`];
      const expected = issue.expected === 'int' ? 'an integer' : `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
      return [`${where}: ${got}; expected ${expected}`];
    }
    case 'too_big':
    case 'too_small': {
      const op = issue.code === 'too_big' ? (issue.inclusive ? '<=' : '<') : issue.inclusive ? '>=' : '>';
      const bound = issue.code === 'too_big' ? issue.maximum : issue.minimum;
      const what = issue.origin === 'array' || issue.origin === 'string' ? `a ${issue.origin} of length ${op} ${bound}` : `a ${issue.origin} ${op} ${bound}`;
      return [`${where}: ${got}; expected ${what}`];
    }
    case 'invalid_union': {
      const u = issue as unknown as { discriminator?: string; options?: unknown[]; input?: unknown };
      if (u.discriminator && u.options) {
        const value = isPlainObject(u.input) ? u.input[u.discriminator] : undefined;
        const gotValue = value === undefined ? 'missing' : `got ${show(value)}`;
        const wherePath = path[path.length - 1] === u.discriminator ? where : `${where}.${u.discriminator}`;
        return [`${wherePath}: ${gotValue}; expected one of ${u.options.map(show).join(', ')}`];
      }
      return [`${where}: ${got}; ${issue.message}`];
    }
    case 'invalid_value':
      return [`${where}: ${got}; expected one of ${issue.values.map(show).join(', ')}`];
    default:
      return [`${where}: ${got}; ${issue.message}`];
  }
}

function show(v: unknown): string {
  // JSON.stringify writes Infinity and NaN as null: show them as they are
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    // nested too deep to print (a config file of 5,000 nested objects overflows the stack): its outline
    s = Array.isArray(v) ? '[ …nested too deep to show… ]' : '{ …nested too deep to show… }';
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The allowed key closest to `key` by edit distance, if it is close enough to be a typo. */
export function nearest(key: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = editDistance(key.toLowerCase(), a.toLowerCase());
    if (d < bestD) [best, bestD] = [a, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
