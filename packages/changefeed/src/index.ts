export { ChangeFeed, type ChangeFeedHandlers, type ChangeFeedOptions, type FeedStatus } from './feed.js';
export { PostgresSource, NOTIFY_CHANNEL } from './postgres-source.js';
export { SqliteSource } from './sqlite-source.js';
export {
  compileProjection,
  compileProjections,
  ProjectionError,
  type CompiledProjection,
  type EntityMetadataLike,
  type FilterValueType,
  type MetadataLookup,
} from './projection.js';
export type {
  ChangeBatch,
  FeedSource,
  ReadResult,
  RecordChange,
  RecordRow,
  SessionState,
  Snapshot,
} from './types.js';
export { openFeedSource, openRelaySource } from './open.js';
export { RedisStreamSource } from './redis-source.js';
export { StreamRelay, type RelayOptions, type RelayStatus } from './relay.js';
export { PositionLostError } from './position-lost.js';
export { decodeEntry, encodeEntry, streamId, type StreamEntry } from './stream-entry.js';
export { recordEtag } from './etag.js';
