/**
 * The artifact contract (see docs/artifacts.md).
 *
 * Every artifact is an Arrow IPC *file* whose schema metadata records, under `sortscope.*` keys:
 *   kind            what the file holds, e.g. "dataset/split"
 *   schema_version  version of that kind's column layout (integer)
 *   stage           the stage that wrote it, and stage_version its code version
 *   config          the resolved stage config as canonical JSON, and config_hash its sha256
 *   seed            the seed the stage used (JSON number or null)
 *   inputs          canonical JSON {name: sha256 of the input file's bytes}
 *   <anything else> stage-specific facts as canonical JSON (e.g. sortscope.bayes_loss)
 * Files are written uncompressed (Arrow JS cannot read compressed IPC without codecs) and
 * atomically. A reader states the kind and version it understands and refuses anything else
 * with a message that says how to regenerate the file.
 */
import { existsSync } from 'node:fs';
import { RecordBatch, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { writeFileAtomic } from './atomic.ts';
import { canonicalJson, sha256Hex } from './canonical.ts';
import { ArtifactError } from './errors.ts';
import { readInputFile } from './input-file.ts';

export interface ArtifactMeta {
  kind: string;
  schemaVersion: number;
  stage: string;
  stageVersion: string;
  /** resolved config of the stage that wrote the artifact */
  config: unknown;
  seed: number | null;
  /** name → sha256 of the input artifact's bytes */
  inputs: Record<string, string>;
  /** stage-specific facts, stored as `sortscope.<key>` */
  extra: Record<string, unknown>;
}

export interface ReadMeta extends ArtifactMeta {
  configHash: string;
}

const PREFIX = 'sortscope.';
const CORE_KEYS = ['kind', 'schema_version', 'stage', 'stage_version', 'config', 'config_hash', 'seed', 'inputs'];

export function metadataMap(meta: ArtifactMeta): Map<string, string> {
  const config = canonicalJson(meta.config);
  const m = new Map<string, string>([
    [`${PREFIX}kind`, meta.kind],
    [`${PREFIX}schema_version`, String(meta.schemaVersion)],
    [`${PREFIX}stage`, meta.stage],
    [`${PREFIX}stage_version`, meta.stageVersion],
    [`${PREFIX}config`, config],
    [`${PREFIX}config_hash`, sha256Hex(config)],
    [`${PREFIX}seed`, JSON.stringify(meta.seed)],
    [`${PREFIX}inputs`, canonicalJson(meta.inputs)],
  ]);
  for (const key of Object.keys(meta.extra).sort()) {
    if (CORE_KEYS.includes(key)) throw new TypeError(`artifact extra key '${key}' collides with a contract key`);
    m.set(`${PREFIX}${key}`, canonicalJson(meta.extra[key]));
  }
  return m;
}

/** The same table with the artifact metadata as its schema metadata. */
export function withMetadata(table: Table, meta: ArtifactMeta): Table {
  const schema = new Schema(table.schema.fields, metadataMap(meta));
  return new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data)));
}

/** Serialise `table` + `meta` as an Arrow IPC file, atomically. Returns the bytes' sha256. */
export function writeArtifact(path: string, table: Table, meta: ArtifactMeta): string {
  const bytes = tableToIPC(withMetadata(table, meta), 'file');
  writeFileAtomic(path, bytes);
  return sha256Hex(bytes);
}

export interface Expected {
  kind: string;
  schemaVersion: number;
  /** how to regenerate it, e.g. "npx sortscope dataset --config experiments/x.json" */
  regenerate: string;
}

/** Read an artifact and check its kind and version; throw an ArtifactError that says how to fix it. */
export function readArtifact(path: string, expected: Expected): { table: Table; meta: ReadMeta; sha256: string } {
  if (!existsSync(path)) throw new ArtifactError(`${path} does not exist; create it with: ${expected.regenerate}`);
  const bytes = readInputFile(path, '');
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new ArtifactError(`${path} is not a readable Arrow IPC file (${(err as Error).message}); delete it and regenerate it with: ${expected.regenerate}`);
  }
  const meta = parseMetadata(table.schema.metadata, path);
  if (meta.kind !== expected.kind || meta.schemaVersion !== expected.schemaVersion) {
    throw new ArtifactError(
      `${path} is a '${meta.kind}' artifact v${meta.schemaVersion} (written by the ${meta.stage} stage ${meta.stageVersion}), ` +
        `expected '${expected.kind}' v${expected.schemaVersion}; regenerate it with: ${expected.regenerate}`,
    );
  }
  return { table, meta, sha256: sha256Hex(bytes) };
}

export function parseMetadata(md: Map<string, string>, path = 'artifact'): ReadMeta {
  const get = (k: string): string => {
    const v = md.get(`${PREFIX}${k}`);
    if (v === undefined) throw new ArtifactError(`${path} has no '${PREFIX}${k}' metadata: it was not written by sortscope (or by a version before the artifact contract)`);
    return v;
  };
  const json = (k: string, v: string): unknown => {
    try {
      return JSON.parse(v);
    } catch {
      throw new ArtifactError(`${path}: its '${PREFIX}${k}' metadata is not valid JSON (${JSON.stringify(v.slice(0, 40))}…): the file was damaged or edited; delete it and rerun the stage that wrote it`);
    }
  };
  const extra: Record<string, unknown> = {};
  for (const [k, v] of md) {
    if (!k.startsWith(PREFIX) || CORE_KEYS.includes(k.slice(PREFIX.length))) continue;
    extra[k.slice(PREFIX.length)] = json(k.slice(PREFIX.length), v);
  }
  const schemaVersion = Number(get('schema_version'));
  if (!Number.isInteger(schemaVersion)) throw new ArtifactError(`${path}: its '${PREFIX}schema_version' metadata is not an integer`);
  return {
    kind: get('kind'),
    schemaVersion,
    stage: get('stage'),
    stageVersion: get('stage_version'),
    config: json('config', get('config')),
    configHash: get('config_hash'),
    seed: json('seed', get('seed')) as number | null,
    inputs: json('inputs', get('inputs')) as Record<string, string>,
    extra,
  };
}
