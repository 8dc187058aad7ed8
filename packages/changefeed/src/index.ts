export { ChangeFeed, type ChangeFeedHandlers, type ChangeFeedOptions, type FeedStatus } from './feed.js';
export { PostgresSource, NOTIFY_CHANNEL } from './postgres-source.js';
export { SqliteSource } from './sqlite-source.js';
export {
  compileProjection,
  compileProjections,
  ProjectionError,
  type CompiledProjection,
  type EntityMetadataLike,
  type MetadataLookup,
} from './projection.js';
export type { ChangeBatch, FeedSource, ReadResult, RecordChange, RecordRow, SessionState, Snapshot } from './types.js';
export { openFeedSource } from './open.js';
