import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseTarget } from '@tandem/config';
import { openOrm, registry, type HotProjection } from '@tandem/models';
import { openApiDocument } from '@tandem/models/openapi';
import { CLIENT_COLLECTIONS_PATH, renderClientCollections } from './client-source.js';
import { ClientGenerationError, collectionsFromOpenApi } from './openapi-collections.js';

/** The repository this command belongs to (dist/src/generate/ → four levels up from the package). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** The committed generated file of @tandem/client. */
export const clientCollectionsFile = (root = REPOSITORY_ROOT) => path.join(root, CLIENT_COLLECTIONS_PATH);

/**
 * The generated part of @tandem/client as it should read now, rendered in memory from the fast
 * service's OpenAPI document (the registry's declarations and the ORM metadata, read without
 * connecting to the database). `projections` replaces the registry's collections (tests).
 */
export async function clientCollectionsSource(
  database: DatabaseTarget,
  projections?: readonly HotProjection[],
): Promise<string> {
  const orm = await openOrm(database, { connect: false });
  try {
    const metadata = orm.getMetadata();
    let document;
    try {
      document = openApiDocument({
        registry,
        metadata: (name) => metadata.find(name) ?? undefined,
        ...(projections ? { projections } : {}),
      });
    } catch (error) {
      throw new ClientGenerationError(`cannot describe the collections: ${(error as Error).message}`);
    }
    return renderClientCollections(collectionsFromOpenApi(document));
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
