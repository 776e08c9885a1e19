/**
 * Files the report needs from its npm dependencies, found through Node's module resolution (no
 * network, no copies in the repository): the browser builds of Vega, Vega-Lite and vega-embed,
 * inlined into the page, and the DejaVu Sans fonts that resvg uses for the PNG and GIF text, so
 * that the figures do not depend on the fonts of the machine.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** `<package>/build/<file>`, next to the package's main entry (which lives in build/). */
function buildFile(pkg: string, file: string): string {
  return join(dirname(require.resolve(pkg)), file);
}

export const LIBRARY_FILES = {
  vega: () => buildFile('vega', 'vega.min.js'),
  'vega-lite': () => buildFile('vega-lite', 'vega-lite.min.js'),
  'vega-embed': () => buildFile('vega-embed', 'vega-embed.min.js'),
} as const;

export type LibraryName = keyof typeof LIBRARY_FILES;

export interface Library {
  name: LibraryName;
  version: string;
  code: string;
}

function versionOf(pkg: string): string {
  const main = require.resolve(pkg);
  // the package.json is the build folder's parent's (these packages do not export it)
  return (JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

let libraries: Library[] | null = null;

/** The three browser builds, in the order they must be loaded. */
export function browserLibraries(): Library[] {
  libraries ??= (Object.keys(LIBRARY_FILES) as LibraryName[]).map((name) => ({ name, version: versionOf(name), code: readFileSync(LIBRARY_FILES[name](), 'utf8') }));
  return libraries;
}

/** The DejaVu Sans font files (regular and bold). */
export function fontFiles(): string[] {
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
}
