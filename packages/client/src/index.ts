export {
  createTandemClient,
  type TandemClient,
  type TandemClientOptions,
  type CollectionClients,
} from './client.js';
export {
  TokenClient,
  type TokenClientOptions,
  type PasswordLogin,
  type ClientCredentialsLogin,
} from './tokens.js';
export type { TokenSet, ClientCredentials } from './token-endpoint.js';
export { CollectionClient, type ListQuery, type IterateQuery } from './collection.js';
export type { GetOptions } from './fast-http.js';
export type { WriteOptions, ChangeOptions, WriteResult } from './write-result.js';
export {
  LiveClient,
  type LiveEvent,
  type LiveOptions,
  type LiveSubscription,
  type SubscribeOptions,
} from './live.js';
export type { WebSocketConstructor, SocketLike } from './websocket.js';
export type {
  CollectionName,
  RecordOf,
  FiltersOf,
  CreateOf,
  PatchOf,
  Topic,
  TopicCollection,
  LiveChange,
  ChangeOf,
  Page,
} from './collection-types.js';
export type { JsonValue } from './json.js';
export * from './generated/collections.js';
export {
  TandemError,
  OAuthError,
  InvalidRequestError,
  InvalidClientError,
  InvalidGrantError,
  UnauthorizedClientError,
  UnsupportedGrantTypeError,
  InvalidScopeError,
  ApiError,
  NotSignedInError,
  LiveError,
  type OAuthErrorCode,
} from './errors.js';
