/**
 * Figures reused between runs of the report into the same folder. `figures/index.json` records,
 * for every figure file the report wrote (path relative to figures/), the hash of what it was
 * rendered from (`key`: the chart spec with its data, the PNG scale or GIF timing, and the
 * renderer's version) and the SHA-256 of its bytes. On the next run a figure whose key is unchanged
 * and whose file still has the recorded bytes is kept as it is; anything else is rendered again.
 * So an edit that does not change a chart (a description, a title of the page) rebuilds the page
 * in seconds, and the GIFs are rendered again only when the circuits or their timing change.
 *
 * Stale files are the ones the previous index lists and this run did not write (an experiment
 * left the study): only those are deleted, never a file the report did not write itself.
 * A missing or unreadable index means nothing is reused and nothing is deleted.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@sortscope/core';

export const INDEX_FILE = 'index.json';
/** bump when the rendering itself changes (fonts, PNG encoder, GIF quantiser) */
export const RENDER_VERSION = 1;

interface Entry {
  key: string;
  sha256: string;
}

const sha256 = (bytes: string | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The key of a figure: the SHA-256 of everything it is rendered from, as JSON. */
export function renderKey(...parts: unknown[]): string {
  return sha256(JSON.stringify([RENDER_VERSION, ...parts]));
}

/** A path the report itself writes under figures/: `<folder>/<file>.{svg,png,gif}`, no '..', not absolute. */
export function safeFigurePath(rel: string): boolean {
  return /^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+\.(svg|png|gif)$/.test(rel) && !rel.split('/').includes('..');
}

function readIndex(path: string): Record<string, Entry> {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { version?: number; files?: Record<string, Entry> };
    if (raw.version !== 1 || typeof raw.files !== 'object' || raw.files === null) return {};
    return Object.fromEntries(Object.entries(raw.files).filter(([rel, e]) => safeFigurePath(rel) && typeof e?.key === 'string' && typeof e?.sha256 === 'string'));
  } catch {
    return {};
  }
}

export class FigureCache {
  private readonly previous: Record<string, Entry>;
  private readonly next: Record<string, Entry> = {};
  reused = 0;
  rendered = 0;

  constructor(private readonly figuresDir: string) {
    this.previous = readIndex(join(figuresDir, INDEX_FILE));
  }

  /** Whether `rel` was rendered from `key` and its file still holds those bytes (then it is kept). */
  reuse(rel: string, key: string): boolean {
    const e = this.previous[rel];
    const path = join(this.figuresDir, rel);
    if (!e || e.key !== key || !existsSync(path)) return false;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return false;
    }
    if (sha256(bytes) !== e.sha256) return false;
    this.next[rel] = e;
    this.reused++;
    return true;
  }

  /** Write a freshly rendered figure and record it. */
  write(rel: string, key: string, bytes: string | Uint8Array): string {
    const path = join(this.figuresDir, rel);
    writeFileAtomic(path, bytes);
    this.next[rel] = { key, sha256: sha256(bytes) };
    this.rendered++;
    return path;
  }

  /** Delete the files the previous run wrote and this one did not; write the new index. */
  finish(): void {
    for (const rel of Object.keys(this.previous)) if (!(rel in this.next)) rmSync(join(this.figuresDir, rel), { force: true });
    const files = Object.fromEntries(Object.keys(this.next).sort().map((k) => [k, this.next[k]]));
    writeFileAtomic(join(this.figuresDir, INDEX_FILE), `${JSON.stringify({ version: 1, files }, null, 1)}\n`);
  }
}
