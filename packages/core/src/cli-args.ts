/**
 * Command-line parsing generated from a stage's zod schema (through its JSON Schema).
 *
 * `--noise.p 0.25` or `--noise.p=0.25` sets field `noise.p` of the stage's config section;
 * dashes in flag names count as underscores (`--n-train` = `--n_train`). Values are coerced by
 * the field's type (numbers, booleans, enums as strings, arrays and objects as JSON) and then
 * validated by zod like the config file, so a bad flag gets the same message as a bad file.
 * A boolean flag alone means true; its value, if any, is one of true/false/1/0/yes/no (any other
 * word is refused, naming the flag). Numbers must be finite (`1e400` is refused as it is typed).
 * A word that is not a flag is refused unless the command takes positional arguments.
 * Precedence, as in nanoGPT: schema defaults < the --config file < flags.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { nearest } from './config.ts';
import { ConfigError } from './errors.ts';
import { boundsText, type JsonSchema, leafFields, type LeafField, typeName } from './json-schema.ts';

export interface GlobalOption {
  name: string;
  type: 'string' | 'boolean' | 'number';
  description: string;
  /** a placeholder for the value in help, e.g. FILE */
  value?: string;
  repeatable?: boolean;
  /** a string option: the only values it takes */
  choices?: readonly string[];
  /** a number option: an integer within these bounds */
  integer?: { min: number; max?: number };
}

export interface CommandSpec {
  /** e.g. 'dataset' or 'llc calibrate' */
  name: string;
  summary: string;
  /** the experiment-file section this command's flags address, if any */
  section?: { name: string; schema: z.ZodType };
  globals: GlobalOption[];
  /** positional arguments, for help only */
  positionals?: string;
  /** extra paragraphs for --help */
  notes?: string[];
}

export interface ParsedArgs {
  globals: Record<string, unknown>;
  /** nested object of config-field flags, to merge over the config file's section */
  overrides: Record<string, unknown>;
  positionals: string[];
  help: boolean;
}

const HELP: GlobalOption = { name: 'help', type: 'boolean', description: 'show this help and exit' };

export function sectionJsonSchema(spec: CommandSpec): JsonSchema | undefined {
  return spec.section ? (z.toJSONSchema(spec.section.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema) : undefined;
}

export function parseArgs(argv: string[], spec: CommandSpec): ParsedArgs {
  const globals = new Map([...spec.globals, HELP].map((g) => [g.name, g]));
  const schema = sectionJsonSchema(spec);
  const fields = new Map((schema ? leafFields(schema) : []).map((f) => [f.path.join('.'), f]));
  const out: ParsedArgs = { globals: {}, overrides: {}, positionals: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      if (!spec.positionals) throw new ConfigError(strayMessage(arg, spec));
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)).replaceAll('-', '_');
    const inline: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let negated = false;
    const isGlobal = (n: string) => globals.has(n) || globals.has(n.replaceAll('_', '-'));
    if (!isGlobal(name) && !fields.has(name) && name.startsWith('no_')) {
      negated = true;
      name = name.slice(3);
    }
    const g = globals.get(name.replaceAll('_', '-')) ?? globals.get(name);
    const field = g ? undefined : fields.get(name);
    if (!g && !field) {
      const all = [...globals.keys(), ...fields.keys()];
      const hint = nearest(name, all);
      throw new ConfigError(`unknown flag --${name} for 'sortscope ${spec.name}'${hint ? ` (did you mean --${hint}?)` : ''}; see 'sortscope ${spec.name} --help'`);
    }
    const flag = g ? `--${g.name}` : `--${name} (${[spec.section!.name, name].join('.')})`;
    const isBool = g ? g.type === 'boolean' : field!.node.type === 'boolean';
    if (negated && !isBool) throw new ConfigError(`--no-${name}: only a boolean flag can be negated with --no-; ${flag} takes a value`);
    if (negated && inline !== undefined) throw new ConfigError(`--no-${name}=${inline}: a negated flag takes no value; write --no-${name} or --${name}=${inline}`);
    let raw: string;
    if (inline !== undefined) raw = inline;
    else if (negated) raw = 'false';
    else if (isBool) {
      // a bare boolean flag means true; a following word is its value only if it is a boolean word
      const next = argv[i + 1];
      if (next !== undefined && BOOLEAN_WORDS.has(next.toLowerCase())) raw = argv[++i];
      else if (next === undefined || next.startsWith('--') || spec.positionals) raw = 'true';
      else throw new ConfigError(booleanMessage(flag, next, spec));
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new ConfigError(`flag --${name}: missing value`);
      raw = argv[++i];
    }
    if (g) {
      const value = g.type === 'boolean' ? toBoolean(raw, flag, spec) : g.type === 'number' ? checkInteger(toNumber(raw, flag), flag, g) : checkChoice(raw, flag, g);
      if (g.name === 'help') out.help = value as boolean;
      else if (g.repeatable) out.globals[g.name] = [...((out.globals[g.name] as unknown[] | undefined) ?? []), value];
      else out.globals[g.name] = value;
    } else {
      setPath(out.overrides, field!.path, coerce(raw, field!.node, flag, spec));
    }
  }
  return out;
}

/** The words a boolean flag takes as its value (case-insensitive). */
const BOOLEAN_WORDS = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
  ['yes', true],
  ['no', false],
]);

function toBoolean(raw: string, flag: string, spec: CommandSpec): boolean {
  const b = BOOLEAN_WORDS.get(raw.toLowerCase());
  if (b === undefined) throw new ConfigError(booleanMessage(flag, raw, spec));
  return b;
}

function booleanMessage(flag: string, word: string, spec: CommandSpec): string {
  const bare = flag.split(' ')[0];
  return `${flag}: got ${JSON.stringify(word)}; expected true, false, 1, 0, yes or no (a bare ${bare} means true)${configHint(word, spec)}`;
}

/** An argument that is not a flag, for a command that takes none. */
function strayMessage(word: string, spec: CommandSpec): string {
  return `unexpected argument ${JSON.stringify(word)}: 'sortscope ${spec.name}' takes no positional arguments${configHint(word, spec)}; see 'sortscope ${spec.name} --help'`;
}

/** ` (did you mean --config WORD?)` when the word looks like an experiment file and the command has --config. */
function configHint(word: string, spec: CommandSpec): string {
  if (!spec.globals.some((g) => g.name === 'config')) return '';
  const file = word.split('#')[0];
  return file.endsWith('.json') || existsSync(file) ? ` (did you mean --config ${word}?)` : '';
}

function checkChoice(raw: string, flag: string, g: GlobalOption): string {
  if (g.choices && !g.choices.includes(raw)) throw new ConfigError(`${flag}: got ${JSON.stringify(raw)}; expected one of ${g.choices.map((c) => JSON.stringify(c)).join(', ')}`);
  return raw;
}

function checkInteger(n: number, flag: string, g: GlobalOption): number {
  const b = g.integer;
  if (!b) return n;
  const range = b.max === undefined ? `an integer >= ${b.min}` : `an integer from ${b.min} to ${b.max}`;
  if (!Number.isInteger(n) || n < b.min || (b.max !== undefined && n > b.max)) throw new ConfigError(`${flag}: got ${n}; expected ${range}`);
  return n;
}

/** Parse a number; refuse text and values a double cannot hold, showing the value as typed. */
function toNumber(raw: string, flag: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || Number.isNaN(n)) throw new ConfigError(`${flag}: got ${JSON.stringify(raw)}; expected a number`);
  if (!Number.isFinite(n)) throw new ConfigError(nonFiniteMessage(raw, flag));
  return n;
}

function nonFiniteMessage(raw: string, flag: string): string {
  const typed = raw.trim();
  const overflow = /infinity/i.test(typed) ? '' : ' (overflows)';
  return `${flag}: got ${typed}${overflow}; expected a finite number`;
}

/** Coerce a flag's text by the field's type; leave text that is not a number as a string, so zod names the problem. */
function coerce(raw: string, node: JsonSchema, flag: string, spec: CommandSpec): unknown {
  const t = Array.isArray(node.type) ? node.type[0] : node.type;
  if (t === 'number' || t === 'integer') {
    const n = Number(raw);
    if (raw.trim() === '' || Number.isNaN(n)) return raw;
    if (!Number.isFinite(n)) throw new ConfigError(nonFiniteMessage(raw, flag));
    return n;
  }
  if (t === 'boolean') return toBoolean(raw, flag, spec);
  if (t === 'string' || node.enum) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) cur = (cur[key] ??= {}) as Record<string, unknown>;
  cur[path[path.length - 1]] = value;
}

/** `--help` text, generated from the command's globals and its section's schema. */
export function helpText(spec: CommandSpec): string {
  const lines: string[] = [];
  const usage = [`sortscope ${spec.name}`, spec.positionals, spec.globals.length ? '[options]' : '', spec.section ? '[--<field> <value> ...]' : '']
    .filter(Boolean)
    .join(' ');
  lines.push(`Usage: ${usage}`, '', spec.summary, '', 'Options:');
  for (const g of [...spec.globals, HELP]) {
    const flag = g.type === 'boolean' ? `--${g.name}` : `--${g.name} ${g.value ?? g.type.toUpperCase()}`;
    lines.push(row(flag, g.description + (g.repeatable ? ' (repeatable)' : '')));
  }
  const schema = sectionJsonSchema(spec);
  if (spec.section && schema) {
    lines.push('', `Config fields (the "${spec.section.name}" section of an experiment file; defaults < --config file < flags):`);
    let lastWhen: string | undefined;
    for (const f of leafFields(schema)) {
      const when = f.when ? `${f.when[0]}=${f.when[1]}` : undefined;
      if (when !== lastWhen && when) lines.push(`  when ${when}:`);
      lastWhen = when;
      lines.push(row(`${f.when ? '  ' : ''}--${f.path.join('.')} <${typeName(f.node)}>`, fieldDoc(f)));
    }
  }
  for (const n of spec.notes ?? []) lines.push('', n);
  return lines.join('\n');
}

function fieldDoc(f: LeafField): string {
  const parts = [f.node.description ?? ''];
  const bounds = boundsText(f.node);
  if (bounds) parts.push(`(${bounds})`);
  if (f.node.default !== undefined) parts.push(`[default: ${JSON.stringify(f.node.default)}]`);
  else if (f.required) parts.push('[required]');
  else parts.push('[optional]');
  return parts.filter(Boolean).join(' ');
}

function row(left: string, right: string): string {
  const pad = 38;
  return left.length + 2 >= pad ? `  ${left}\n${' '.repeat(pad + 2)}${right}` : `  ${left.padEnd(pad)}${right}`;
}
