/**
 * Canonical JSON and content hashes: the config hash, the cache key and the input hashes
 * recorded in every artifact are computed here and nowhere else.
 *
 * Canonical form: object keys sorted by code point, no whitespace, numbers as JSON.stringify
 * writes them; `undefined` object members are dropped; non-finite numbers are refused because
 * JSON cannot represent them and two different configs would otherwise hash alike.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value, '$'));
}

function canonicalize(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is ${value}, which JSON cannot represent`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => canonicalize(v, `${path}[${i}]`));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonicalize(v, `${path}.${key}`);
    }
    return out;
  }
  throw new TypeError(`canonicalJson: ${path} has type ${typeof value}, which JSON cannot represent`);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a value's canonical JSON. */
export function hashJson(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** sha256 of a file's bytes, streamed (artifacts can be tens of MB). */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
