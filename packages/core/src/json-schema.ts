/**
 * A minimal walker over the JSON Schema that `z.toJSONSchema` produces for our config schemas,
 * used to generate `--help`, to coerce command-line flag values and to list allowed keys in
 * error messages. Only the constructs our schemas use are handled: objects with properties,
 * `oneOf`/`anyOf` unions of objects (discriminated by a `const` property), enums, primitives.
 */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  [key: string]: unknown;
}

/** The union branches of a node, or the node itself. */
export function branches(node: JsonSchema): JsonSchema[] {
  return node.oneOf ?? node.anyOf ?? [node];
}

/** The branch of a discriminated union that `value` selects (by a `const` property), if any. */
export function selectBranch(node: JsonSchema, value: unknown): JsonSchema | undefined {
  const options = branches(node);
  if (options.length === 1) return options[0];
  if (typeof value !== 'object' || value === null) return undefined;
  return options.find((b) =>
    Object.entries(b.properties ?? {}).some(([k, p]) => p.const !== undefined && (value as Record<string, unknown>)[k] === p.const),
  );
}

/** The schema node at `path`, following the branch the actual value selects where there is a union. */
export function nodeAt(root: JsonSchema, path: string[], value: unknown): JsonSchema | undefined {
  let node: JsonSchema | undefined = root;
  let v = value;
  for (const key of path) {
    if (!node) return undefined;
    const branch = selectBranch(node, v);
    const candidates: JsonSchema[] = branch ? [branch] : branches(node);
    node = candidates.map((b: JsonSchema) => b.properties?.[key]).find((p) => p !== undefined);
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

/** Allowed keys of the object at `path` (union of branches when the value selects none). */
export function objectKeysAt(root: JsonSchema, path: string[], value: unknown): string[] {
  const node = nodeAt(root, path, value);
  if (!node) return [];
  let v = value;
  for (const key of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  const branch = selectBranch(node, v);
  const keys = new Set<string>();
  for (const b of branch ? [branch] : branches(node)) for (const k of Object.keys(b.properties ?? {})) keys.add(k);
  return [...keys];
}

/** Every leaf field as a dotted path, with the union branch (discriminator = value) it belongs to. */
export interface LeafField {
  path: string[];
  node: JsonSchema;
  /** e.g. ['noise.kind', 'permute'] when the field only exists in that branch */
  when?: [string, string];
  /** the field must be given (no default, not optional) */
  required: boolean;
}

export function leafFields(root: JsonSchema, prefix: string[] = [], when?: [string, string]): LeafField[] {
  const out: LeafField[] = [];
  const required = new Set(root.required ?? []);
  for (const [key, prop] of Object.entries(root.properties ?? {})) {
    const path = [...prefix, key];
    const options = branches(prop);
    const isObject = options.every((b) => b.type === 'object' && b.properties);
    if (!isObject) {
      out.push({ path, node: prop, when, required: required.has(key) && prop.default === undefined });
      continue;
    }
    if (options.length === 1) {
      out.push(...leafFields(options[0], path, when));
      continue;
    }
    const disc = Object.keys(options[0].properties ?? {}).find((k) => options.every((b) => b.properties?.[k]?.const !== undefined));
    if (!disc) {
      out.push({ path, node: prop, when, required: required.has(key) && prop.default === undefined });
      continue;
    }
    const discNode = { type: 'string', enum: options.map((b) => b.properties![disc].const), default: (prop.default as Record<string, unknown> | undefined)?.[disc], description: prop.description };
    out.push({ path: [...path, disc], node: discNode, when, required: discNode.default === undefined });
    for (const b of options) {
      const sub = { ...b, properties: Object.fromEntries(Object.entries(b.properties ?? {}).filter(([k]) => k !== disc)) };
      out.push(...leafFields(sub, path, [[...path, disc].join('.'), String(b.properties![disc].const)]));
    }
  }
  return out;
}

export function typeName(node: JsonSchema): string {
  if (node.enum) return node.enum.map(String).join('|');
  if (node.const !== undefined) return String(node.const);
  const t = Array.isArray(node.type) ? node.type.join('|') : node.type;
  if (t === 'array') return `${node.items ? typeName(node.items) : 'value'}[] (JSON)`;
  return t ?? 'JSON';
}

export function boundsText(node: JsonSchema): string {
  const parts: string[] = [];
  const big = 9007199254740991;
  if (node.minimum !== undefined && node.minimum > -big) parts.push(`>= ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) parts.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined && node.maximum < big) parts.push(`<= ${node.maximum}`);
  if (node.exclusiveMaximum !== undefined) parts.push(`< ${node.exclusiveMaximum}`);
  return parts.join(', ');
}
