import { registry, type HotProjection, type Orm } from '@tandem/models';
import { openApiDocument } from '@tandem/models/openapi';
import type { Reply } from './http/respond.js';

/**
 * GET /openapi.json: the document generated from the hot declarations and the ORM metadata, serialized
 * once at start-up. A request writes bytes that already exist, like a /v1 read; nothing is added to the
 * /v1 path.
 */
export function openApiReply(orm: Orm, projections: readonly HotProjection[]): Reply {
  const document = openApiDocument({
    registry,
    projections,
    metadata: (name) => orm.getMetadata().find(name) ?? undefined,
  });
  return {
    status: 200,
    body: Buffer.from(JSON.stringify(document)),
    headers: [['Cache-Control', 'public, max-age=300']],
  };
}
