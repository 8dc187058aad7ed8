import type { DatabaseTarget } from '@tandem/config';
import { PostgresSource } from './postgres-source.js';
import type { CompiledProjection } from './projection.js';
import { SqliteSource } from './sqlite-source.js';
import type { FeedSource } from './types.js';

export function openFeedSource(target: DatabaseTarget, projections: readonly CompiledProjection[]): FeedSource {
  return target.dialect === 'postgresql' ? new PostgresSource(target.url, projections) : new SqliteSource(target.path, projections);
}
