import type { EntityMetadata } from '@mikro-orm/core';
import type { HotProjection } from '../hot/projections.js';
import { ROW_ACCESS_CLAIMS } from '../hot/row-access.js';
import type { JsonSchema, ModelDeclaration } from '../model.js';
import {
  DOCUMENT_VERSION,
  jsonContent,
  metricsOperation,
  metricsTokenScheme,
  openApiOperation,
  ref,
  responseRef,
  type OpenApiDocument,
} from './document.js';
import { exampleValue, propertySchema } from './field-schema.js';
import { LIVE_CLOSE_CODES, liveMessageSchemas } from './live-messages.js';
import {
  WRITES_COLLECTION,
  writeParameters,
  writePaths,
  writeResponses,
  writeSchemas,
} from './write-paths.js';
import { writeBodySchemas } from './write-schemas.js';

/** Finds an entity's metadata after discovery: `(name) => orm.getMetadata().find(name)`. */
export type EntityMetadataFinder = (entityName: string) => EntityMetadata | undefined;

export interface FastDocumentInput {
  /** The models, normally `registry` from @tandem/models; the hot ones become collections. */
  readonly registry: readonly ModelDeclaration[];
  readonly metadata: EntityMetadataFinder;
  /** The collections actually served, when not the registry's (a service started with its own list). */
  readonly projections?: readonly HotProjection[];
  /** Where clients reach the service; left out when unknown. */
  readonly serverUrl?: string;
}

/** The limits of list pages, as the fast service enforces them (services/fast/src/http/list.ts). */
export const LIST_LIMITS = { default: 50, max: 1000 } as const;

const ERROR_CODES = {
  BadRequest: [
    'invalid_limit',
    'invalid_cursor',
    'unknown_parameter',
    'duplicate_parameter',
    'invalid_filter',
  ],
  Unauthorized: ['invalid_token'],
  Forbidden: ['insufficient_scope'],
  NotFound: ['not_found'],
  Refused: ['uri_too_long', 'headers_too_large'],
  Unavailable: ['not_ready', 'keys_not_loaded'],
  TooManyConnections: ['too_many_connections'],
} as const;

function errorResponse(description: string, codes: readonly string[], headers?: Record<string, unknown>) {
  return {
    description,
    ...(headers && { headers }),
    content: jsonContent({
      allOf: [ref('Error'), { properties: { error: { enum: [...codes] } } }],
    }),
  };
}

const responses = {
  BadRequest: errorResponse(
    'A bad list parameter (limit, cursor or an unknown filter).',
    ERROR_CODES.BadRequest,
  ),
  Unauthorized: errorResponse('Missing, malformed, expired or revoked token.', ERROR_CODES.Unauthorized, {
    'WWW-Authenticate': { schema: { type: 'string', examples: ['Bearer error="invalid_token"'] } },
  }),
  Forbidden: errorResponse(
    "The token lacks the collection's scope (or, where records belong to owners, the claim naming one).",
    ERROR_CODES.Forbidden,
  ),
  NotFound: errorResponse('No such record (or it is outside the collection).', ERROR_CODES.NotFound),
  Refused: errorResponse('The URL (414) or the request headers (431) are too long.', ERROR_CODES.Refused),
  Unavailable: errorResponse(
    "Not answerable yet; retry as is, keeping the token: the data snapshot is loading (not_ready) or the issuer's signing keys were never fetched (keys_not_loaded).",
    ERROR_CODES.Unavailable,
    { 'Retry-After': { schema: { type: 'integer', examples: [1] } } },
  ),
  TooManyConnections: errorResponse(
    'This user or client already holds FAST_WS_MAX_SOCKETS_PER_SUBJECT live connections; close one first (one connection carries any number of subscriptions).',
    ERROR_CODES.TooManyConnections,
  ),
};

const v1Errors = {
  '401': responseRef('Unauthorized'),
  '403': responseRef('Forbidden'),
  '414': responseRef('Refused'),
  '431': responseRef('Refused'),
  '503': responseRef('Unavailable'),
};

/** One collection's record schema: every exposed field, typed from the ORM metadata, always present. */
function recordSchema(hot: HotProjection, meta: EntityMetadata, seed: ModelDeclaration['example']) {
  const properties: Record<string, JsonSchema> = {};
  for (const [field, property] of Object.entries(hot.fields))
    properties[field] = { ...propertySchema(meta, property), ...hot.schema?.[field] };
  const example = seed
    ? Object.fromEntries(
        Object.entries(hot.fields).map(([field, property]) => [field, exampleValue(seed[property])]),
      )
    : undefined;
  return {
    type: 'object',
    description: `A ${hot.entity} as served in the \`${hot.collection}\` collection.`,
    required: Object.keys(hot.fields),
    properties,
    additionalProperties: false,
    ...(example && { examples: [example] }),
  } satisfies JsonSchema;
}

function filterParameter(field: string, schema: JsonSchema) {
  const { type, format, enum: values } = schema as { type?: unknown; format?: unknown; enum?: unknown };
  const single = Array.isArray(type) ? type.find((t) => t !== 'null') : type;
  return {
    name: field,
    in: 'query',
    description: `Only records whose ${field} equals this value.`,
    schema: {
      ...(single !== undefined && { type: single }),
      ...(format !== undefined && { format }),
      ...(values !== undefined && { enum: values }),
    },
  };
}

/**
 * What a row-access collection serves to whom (the operations' descriptions), so that a client reading
 * the document knows why its list holds only its rows and why another's id is a 404.
 */
function rowAccessNote(hot: HotProjection, operation: 'list' | 'record'): string | undefined {
  const rule = hot.rowAccess;
  if (!rule) return undefined;
  const owner = `the \`${rule.claim}\` claim of ${ROW_ACCESS_CLAIMS[rule.claim].holder}`;
  const lift = rule.anyScope ? ` A token with the \`${rule.anyScope}\` scope reads every record.` : '';
  const what =
    operation === 'list'
      ? `Lists only the caller's records: those whose \`${rule.field}\` equals ${owner}.`
      : `Only the caller's record: its \`${rule.field}\` must equal ${owner}; another owner's record answers 404, exactly as a missing one.`;
  return `${what}${lift} A token without that claim is refused with 403 \`insufficient_scope\`.`;
}

/**
 * What a collection with a hot window serves: the list and the topic hold recent records only; an
 * older write outcome is still answered by id (read from the database), any other older record is not.
 */
function hotWindowNote(hot: HotProjection, operation: 'list' | 'record'): string | undefined {
  const window = hot.hotWindow;
  if (!window) return undefined;
  const field = Object.keys(hot.fields).find((name) => hot.fields[name] === window.property);
  const age = `\`${field ?? window.property}\` is more than ${window.seconds} s old`;
  if (operation === 'list')
    return `Holds recent records only: one whose ${age} is left out (and no longer pushed live); it is not deleted.`;
  return hot.collection === WRITES_COLLECTION
    ? `A record whose ${age} is read from the database: the same bytes and ETag.`
    : `A record whose ${age} is not served (404).`;
}

/** The operation's description: who sees which records (row access), and for how long (hot window). */
function operationNote(hot: HotProjection, operation: 'list' | 'record'): { description: string } | object {
  const notes = [rowAccessNote(hot, operation), hotWindowNote(hot, operation)].filter(
    (note): note is string => note !== undefined,
  );
  return notes.length === 0 ? {} : { description: notes.join(' ') };
}

/**
 * What GET of one record answers: the record; for a write's outcome also `{id, status: "queued"}`
 * while the write is still in the queue (before its row exists).
 */
function recordAnswer(hot: HotProjection, schemaName: string): JsonSchema {
  return hot.collection === WRITES_COLLECTION
    ? { anyOf: [ref(schemaName), ref('WriteAccepted')] }
    : ref(schemaName);
}

function collectionPaths(hot: HotProjection, schemaName: string, record: JsonSchema) {
  const security = [{ bearer: [hot.scope] }];
  const tags = [hot.collection];
  const properties = record.properties as Record<string, JsonSchema>;
  return {
    [`/v1/${hot.collection}`]: {
      get: {
        operationId: `list_${hot.collection}`,
        summary: `${hot.collection}, by id, a page at a time (keyset cursor)`,
        ...operationNote(hot, 'list'),
        tags,
        security,
        parameters: [
          { $ref: '#/components/parameters/limit' },
          { $ref: '#/components/parameters/after' },
          ...(hot.filterable ?? []).map((field) => filterParameter(field, properties[field] ?? {})),
        ],
        responses: {
          '200': { description: 'A page of records.', content: jsonContent(ref(`${schemaName}Page`)) },
          '400': responseRef('BadRequest'),
          ...v1Errors,
        },
      },
    },
    [`/v1/${hot.collection}/{id}`]: {
      get: {
        operationId: `get_${hot.collection}`,
        summary: `One ${hot.collection} record, as prepared when it last changed`,
        ...operationNote(hot, 'record'),
        tags,
        security,
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
          {
            name: 'If-None-Match',
            in: 'header',
            schema: { type: 'string' },
            description: 'An ETag from an earlier answer.',
          },
        ],
        responses: {
          '200': {
            description: 'The record.',
            headers: {
              ETag: { schema: { type: 'string' }, description: 'Changes exactly when the record does.' },
            },
            content: jsonContent(recordAnswer(hot, schemaName)),
          },
          '304': { description: 'The copy named by If-None-Match is current.' },
          '404': responseRef('NotFound'),
          ...v1Errors,
          // A write's id the store does not hold is looked up in the queue, at most at the write rate.
          ...(hot.collection === WRITES_COLLECTION && { '429': responseRef('TooManyWrites') }),
        },
      },
    },
  };
}

const livePath = (topics: readonly string[], owned: readonly string[]) => ({
  get: {
    operationId: 'live',
    summary: 'Live changes over a WebSocket',
    description: [
      'Upgrade to a WebSocket. The token goes in the Authorization header or, from browsers (which cannot set headers on a WebSocket), as two offered subprotocols: `tandem.bearer` and `tandem.bearer.<token>` (the answer selects `tandem.bearer`, never the one holding the token).',
      "The access_token query parameter is still accepted, but a URL lands in proxies' logs: prefer the subprotocol.",
      'Send LiveClientMessage frames (subscribe to a collection, e.g. "products", or one record, "products/42"; the token needs the collection\'s scope);',
      'receive LiveServerMessage frames. Their JSON Schemas are in components.schemas and referenced by x-websocket.',
      `Collections: ${topics.join(', ')}.`,
      ...(owned.length > 0
        ? [
            `Records of ${owned.join(', ')} belong to owners: their topics deliver the caller's records only (a record that changes hands reaches its old owner as a delete, its new one as an upsert), and another owner's record topic is accepted like a missing record's and stays silent.`,
          ]
        : []),
    ].join(' '),
    tags: ['live'],
    security: [{ bearer: [] }, { accessTokenQuery: [] }],
    parameters: [
      {
        name: 'Sec-WebSocket-Protocol',
        in: 'header',
        description: 'From browsers: `tandem.bearer, tandem.bearer.<access token>`.',
        schema: { type: 'string' },
      },
      {
        name: 'access_token',
        in: 'query',
        deprecated: true,
        description: 'The access token, for clients written before the subprotocol (it lands in proxy logs).',
        schema: { type: 'string' },
      },
    ],
    'x-websocket': {
      clientMessages: ref('LiveClientMessage'),
      serverMessages: ref('LiveServerMessage'),
      closeCodes: LIVE_CLOSE_CODES,
    },
    responses: {
      '101': { description: 'Switching protocols: the WebSocket is open.' },
      '401': responseRef('Unauthorized'),
      '429': responseRef('TooManyConnections'),
      '503': responseRef('Unavailable'),
    },
  },
});

/** Where /healthz's details appear: with /metrics' token, or when /metrics is open. */
const DETAILS_WHEN =
  'Only for a caller presenting `Authorization: Bearer <METRICS_TOKEN>`, or for anyone when METRICS_TOKEN is not set.';

const healthSchema: JsonSchema = {
  type: 'object',
  required: ['status', 'ready'],
  description: `A probe needs status and ready (and reason when not ready). feed, jwks and records: ${DETAILS_WHEN}`,
  properties: {
    status: { enum: ['ok', 'stale', 'starting'] },
    ready: { type: 'boolean' },
    reason: { type: 'string', description: 'Why not ready: "loading snapshot" or "no signing keys yet".' },
    feed: { type: 'object', description: `The change feed: connection, lag, position. ${DETAILS_WHEN}` },
    jwks: { type: 'object', description: `The issuer's signing keys held. ${DETAILS_WHEN}` },
    records: {
      type: 'object',
      additionalProperties: { type: 'integer' },
      description: `Records per collection. ${DETAILS_WHEN}`,
    },
  },
};

/**
 * The fast service's OpenAPI 3.1 document, generated from the hot model declarations and the ORM
 * metadata: one schema, one list path and one record path per collection, the list parameters and
 * cursor, every error, the bearer security scheme and the WebSocket messages. Pure: the service
 * serializes it once at start-up.
 */
export function openApiDocument(input: FastDocumentInput): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = {
    Error: {
      type: 'object',
      required: ['error', 'message'],
      properties: {
        error: { type: 'string', description: 'Machine-readable code.' },
        message: { type: 'string', description: 'Human-readable explanation.' },
      },
    },
  };
  const paths: Record<string, Record<string, unknown>> = {};
  const collections: { collection: string; schema: string }[] = [];
  const served =
    input.projections ??
    input.registry.flatMap((model) =>
      model.hot ? [{ ...model.hot, entity: model.name, table: model.table }] : [],
    );
  // The schema of a write's outcome, when the `writes` collection is served.
  const outcomes = served.find((hot) => hot.collection === WRITES_COLLECTION)?.entity;
  for (const hot of served) {
    const meta = input.metadata(hot.entity);
    if (!meta) throw new Error(`the ORM metadata has no entity ${hot.entity}`);
    const seed = input.registry.find((model) => model.name === hot.entity)?.example ?? null;
    const name = hot.entity;
    const record = recordSchema(hot, meta, seed);
    schemas[name] = record;
    schemas[`${name}Page`] = {
      type: 'object',
      required: ['items', 'next'],
      properties: {
        items: { type: 'array', items: ref(name) },
        next: {
          type: ['string', 'null'],
          pattern: '^[0-9]{1,15}$',
          description:
            'Pass as `after` for the next page; null on the last page. A filtered page may hold fewer ' +
            'items than `limit`, even none, and still have a `next` (a page looks at a bounded number of ' +
            'rows): follow it until it is null.',
        },
      },
      additionalProperties: false,
    };
    Object.assign(paths, collectionPaths(hot, name, record));
    // POST/PATCH/DELETE where the declaration allows writes, merged into the same path items.
    const writes = writePaths(hot, name, writeBodySchemas(hot, input.metadata), outcomes);
    for (const [path, methods] of Object.entries(writes.paths)) paths[path] = { ...paths[path], ...methods };
    Object.assign(schemas, writes.schemas);
    collections.push({ collection: hot.collection, schema: name });
  }
  Object.assign(schemas, liveMessageSchemas(collections));
  // The write answers' components, when something is writable or write outcomes are served.
  const writing = served.some((hot) => hot.writes || hot.collection === WRITES_COLLECTION);
  if (writing) Object.assign(schemas, writeSchemas);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tandem fast service',
      version: DOCUMENT_VERSION,
      description:
        "Hot data served from JSON bytes prepared when the data changed. Every /v1 request needs a bearer access token from the auth service (an EdDSA JWT) holding the collection's scope (listed in each operation's security requirement). Collections that accept writes (POST, PATCH, DELETE) validate the body at once, queue the write durably and answer 202 with the write's id; the source of truth applies it, and its outcome is at GET /v1/writes/{id} (or in the answer itself with `Prefer: wait=N`).",
    },
    ...(input.serverUrl && { servers: [{ url: input.serverUrl }] }),
    security: [{ bearer: [] }],
    tags: [
      ...collections.map(({ collection }) => ({
        name: collection,
        description: `The ${collection} collection.`,
      })),
      { name: 'live', description: 'Changes pushed over a WebSocket.' },
      { name: 'operations', description: 'Health, metrics and this document.' },
    ],
    paths: {
      ...paths,
      '/v1/live': livePath(
        collections.map((c) => c.collection),
        served.filter((hot) => hot.rowAccess).map((hot) => hot.collection),
      ),
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'Readiness (snapshot loaded, signing keys held); change-feed lag with the metrics token',
          tags: ['operations'],
          // Open to probes; METRICS_TOKEN (when set) adds the details, as it opens /metrics.
          security: [{}, { metricsToken: [] }],
          responses: {
            '200': { description: 'Ready (status ok or stale).', content: jsonContent(ref('Health')) },
            '503': {
              description: 'Not ready (status starting; reason says why).',
              content: jsonContent(ref('Health')),
            },
          },
        },
      },
      '/metrics': { get: metricsOperation },
      '/openapi.json': { get: openApiOperation },
    },
    components: {
      schemas: { ...schemas, Health: healthSchema },
      responses: { ...responses, ...(writing && writeResponses) },
      parameters: {
        ...(writing && writeParameters),
        limit: {
          name: 'limit',
          in: 'query',
          description: 'Records per page.',
          schema: { type: 'integer', minimum: 1, maximum: LIST_LIMITS.max, default: LIST_LIMITS.default },
        },
        after: {
          name: 'after',
          in: 'query',
          description: 'The `next` cursor of the previous page.',
          schema: { type: 'string', pattern: '^[0-9]{1,15}$' },
        },
      },
      securitySchemes: {
        metricsToken: metricsTokenScheme,
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token from the auth service (POST /oauth/token).',
        },
        accessTokenQuery: {
          type: 'apiKey',
          in: 'query',
          name: 'access_token',
          description:
            'The access token as a query parameter, for WebSockets opened by browsers (RFC 6750 §2.3).',
        },
      },
    },
  };
}
