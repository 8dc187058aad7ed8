/**
 * Serves the front-end scripts precompressed at build time (hashed-assets.ts) under
 * `<root>/static/assets/<name>.<hash>.js`, and makes every page reference those names instead of
 * AdminJS's `/frontend/assets/*.bundle.js` (served uncompressed with `max-age=0`: 3.4 MB per cold load).
 * A hashed name never changes content, so browsers keep it a year without asking again.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler, Router } from 'express';
import type { Logger } from '@tandem/log';
import {
  HASHED_ASSETS_DIR,
  STORED_ENCODINGS,
  loadAssetManifest,
  type AssetManifest,
  type StoredEncoding,
} from './hashed-assets.js';
import { rewriteHtml } from './html-rewrite.js';

export const HASHED_ASSETS_PATH = '/static/assets';
const IMMUTABLE = 'public, max-age=31536000, immutable';

type Variants = Readonly<Record<StoredEncoding | 'identity', Buffer>>;

/** The q-value (RFC 9110 §12.4.2) an Accept-Encoding header gives `coding`, 0 when it names neither it nor `*`. */
function quality(acceptEncoding: string, coding: string): number {
  let wildcard = 0;
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name = '', ...params] = part.split(';').map((piece) => piece.trim());
    const q = params.find((param) => param.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    const weight = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
    if (name === coding) return weight;
    if (name === '*') wildcard = weight;
  }
  return wildcard;
}

/** The encoding to send: brotli (smallest) unless the client prefers gzip, else gzip, else none. */
export function chosenEncoding(acceptEncoding: string | undefined): StoredEncoding | 'identity' {
  if (!acceptEncoding) return 'identity';
  const br = quality(acceptEncoding, 'br');
  const gzip = quality(acceptEncoding, 'gzip');
  if (br > 0 && br >= gzip) return 'br';
  return gzip > 0 ? 'gzip' : 'identity';
}

function readVariants(name: string): Variants {
  const file = path.join(HASHED_ASSETS_DIR, name);
  return {
    identity: readFileSync(file),
    gzip: readFileSync(file + STORED_ENCODINGS.gzip),
    br: readFileSync(file + STORED_ENCODINGS.br),
  };
}

function serveHashed(files: ReadonlyMap<string, Variants>): RequestHandler {
  return (req, res) => {
    const variants = files.get(String(req.params.file));
    // Unknown names (an older build's hash) answer 404 here, not the login redirect further on.
    if (!variants) {
      res.status(404).type('text/plain').send('No such asset.');
      return;
    }
    const encoding = chosenEncoding(req.get('accept-encoding'));
    const body = variants[encoding];
    res.set({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Content-Length': String(body.length),
      'Cache-Control': IMMUTABLE,
      Vary: 'Accept-Encoding',
    });
    if (encoding !== 'identity') res.set('Content-Encoding', encoding);
    res.end(body);
  };
}

/** `<root>/frontend/assets/app.bundle.js` → `<root>/static/assets/app.bundle.<hash>.js`, in every page. */
function referenceHashedNames(manifest: AssetManifest, rootPath: string): (html: string) => string {
  const replacements = Object.entries(manifest).map(
    ([assetPath, name]) =>
      [`"${rootPath}${assetPath}"`, `"${rootPath}${HASHED_ASSETS_PATH}/${name}"`] as const,
  );
  return (html) =>
    html.includes(`${rootPath}/frontend/assets/`)
      ? replacements.reduce((page, [from, to]) => page.replaceAll(from, to), html)
      : html;
}

/**
 * Mounts the hashed scripts (all held in memory: about 5 MB with their compressed forms) and the page
 * rewrite on the admin's router, before AdminJS's routes. Without a manifest (the bundle was not
 * prebuilt) AdminJS's own uncompressed routes stay in use, and a warning says so.
 */
export function servePrecompressedAssets(router: Router, rootPath: string, logger: Logger): AssetManifest {
  const manifest = loadAssetManifest();
  if (!manifest) {
    logger.warn(
      'admin: no precompressed front-end assets (run `npm run build -w @tandem/admin`); serving them uncompressed',
    );
    return {};
  }
  const files = new Map(Object.values(manifest).map((name) => [name, readVariants(name)] as const));
  router.get(`${HASHED_ASSETS_PATH}/:file`, serveHashed(files));
  rewriteHtml(router, referenceHashedNames(manifest, rootPath));
  return manifest;
}
