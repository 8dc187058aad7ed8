import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseTarget } from '@tandem/config';
import { hotProjections, openOrm, type HotProjection } from '@tandem/models';
import { CLIENT_COLLECTIONS_PATH, renderClientCollections } from './client-source.js';
import { collectionShapes } from './collection-shapes.js';

/** The repository this command belongs to (dist/src/generate/ → four levels up from the package). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** The committed generated file of @tandem/client. */
export const clientCollectionsFile = (root = REPOSITORY_ROOT) => path.join(root, CLIENT_COLLECTIONS_PATH);

/**
 * The generated part of @tandem/client as it should read now: rendered in memory from the projections
 * and the ORM metadata (read without connecting to the database).
 */
export async function clientCollectionsSource(
  database: DatabaseTarget,
  projections: readonly HotProjection[] = hotProjections,
): Promise<string> {
  const orm = await openOrm(database, { connect: false });
  try {
    const metadata = orm.getMetadata();
    return renderClientCollections(collectionShapes(projections, (name) => metadata.find(name) ?? undefined));
  } finally {
    await orm.close(true);
  }
}

/** The committed file's text, or undefined when there is none yet. */
export async function committedClientCollections(
  file = clientCollectionsFile(),
): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
