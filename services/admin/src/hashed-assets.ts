/**
 * The front-end scripts under content-hashed names, each stored three times (as is, gzip, brotli), so
 * the admin can serve them compressed and cacheable forever without compressing anything per request.
 * Written at build time by `precompressAssets` (bundle.ts), read at start-up by `loadAssetManifest`
 * (served-assets.ts). A changed script gets a new name, so a browser never runs a stale cached copy.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { BUNDLE_DIR } from './paths.js';

/** Where the hashed copies and the manifest live (inside the gitignored, turbo-cached bundle folder). */
export const HASHED_ASSETS_DIR = path.join(BUNDLE_DIR, 'assets');
const MANIFEST_FILE = path.join(HASHED_ASSETS_DIR, 'manifest.json');

/** The encodings stored next to each file, by the file suffix they are stored under. */
export const STORED_ENCODINGS = { br: '.br', gzip: '.gz' } as const;
export type StoredEncoding = keyof typeof STORED_ENCODINGS;

/**
 * AdminJS's asset path (as its pages reference it, below the root path, e.g.
 * `/frontend/assets/app.bundle.js`) → the hashed file name in HASHED_ASSETS_DIR
 * (e.g. `app.bundle.3f9c0a1b2c3d4e5f.js`).
 */
export type AssetManifest = Readonly<Record<string, string>>;

export interface AssetSource {
  /** The path AdminJS serves it at, below the root path. */
  readonly path: string;
  /** The file on disk. */
  readonly src: string;
}

function hashedName(assetPath: string, content: Buffer): string {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 16);
  const { name, ext } = path.parse(assetPath);
  return `${name}.${hash}${ext}`;
}

/**
 * Writes each source as `<name>.<hash><ext>` plus its `.gz` (level 9) and `.br` (quality 11) forms and
 * the manifest; removes files of earlier builds. A file whose hashed name already exists is not
 * compressed again: AdminJS's own 3.3 MB of scripts only change with its version, and brotli at
 * quality 11 takes seconds per megabyte.
 */
export function precompressAssets(sources: readonly AssetSource[]): AssetManifest {
  mkdirSync(HASHED_ASSETS_DIR, { recursive: true });
  const manifest: Record<string, string> = {};
  const keep = new Set<string>();
  for (const { path: assetPath, src } of sources) {
    const content = readFileSync(src);
    const name = hashedName(assetPath, content);
    manifest[assetPath] = name;
    const target = path.join(HASHED_ASSETS_DIR, name);
    keep
      .add(name)
      .add(name + STORED_ENCODINGS.gzip)
      .add(name + STORED_ENCODINGS.br);
    if (existsSync(target + STORED_ENCODINGS.br) && existsSync(target + STORED_ENCODINGS.gzip)) continue;
    writeFileSync(target, content);
    writeFileSync(target + STORED_ENCODINGS.gzip, gzipSync(content, { level: 9 }));
    writeFileSync(
      target + STORED_ENCODINGS.br,
      brotliCompressSync(content, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
        },
      }),
    );
  }
  for (const file of readdirSync(HASHED_ASSETS_DIR))
    if (!keep.has(file)) rmSync(path.join(HASHED_ASSETS_DIR, file));
  writeFileSync(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The manifest the last build wrote, or undefined when there is none (no prebuilt bundle). */
export function loadAssetManifest(): AssetManifest | undefined {
  if (!existsSync(MANIFEST_FILE)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(MANIFEST_FILE, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  return Object.fromEntries(
    Object.entries(parsed).filter(
      (entry): entry is [string, string] =>
        typeof entry[1] === 'string' && /^[\w.-]+$/.test(entry[1]) && entry[0].startsWith('/'),
    ),
  );
}
