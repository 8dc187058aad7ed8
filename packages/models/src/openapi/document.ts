import type { JsonSchema } from '../model.js';

/** An OpenAPI 3.1 document as plain JSON (what `GET /openapi.json` serves). */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly servers?: readonly { readonly url: string }[];
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly tags?: readonly { readonly name: string; readonly description: string }[];
  readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly responses?: Readonly<Record<string, unknown>>;
    readonly parameters?: Readonly<Record<string, unknown>>;
    readonly securitySchemes?: Readonly<Record<string, unknown>>;
  };
}

/** The version both services state in `info.version`: the document's shape, not a release. */
export const DOCUMENT_VERSION = '1.0.0';

export const ref = (schema: string): JsonSchema => ({ $ref: `#/components/schemas/${schema}` });
export const responseRef = (response: string) => ({ $ref: `#/components/responses/${response}` });

/** A JSON body described by a schema, with an optional example. */
export function jsonContent(schema: JsonSchema, example?: unknown, mediaType = 'application/json') {
  return { [mediaType]: example === undefined ? { schema } : { schema, example } };
}

/** The bearer token /metrics of both services require when METRICS_TOKEN is set. */
export const metricsTokenScheme = {
  type: 'http',
  scheme: 'bearer',
  description:
    'METRICS_TOKEN, as set on the service. Without it set, /metrics is open: keep the port on a private network.',
};

/** Prometheus text, as both services serve it on /metrics. */
export const metricsOperation = {
  summary: 'Prometheus metrics',
  operationId: 'metrics',
  tags: ['operations'],
  // Open when METRICS_TOKEN is unset ({}), else the token.
  security: [{}, { metricsToken: [] }],
  responses: {
    '200': {
      description: 'Prometheus text exposition format.',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
    '401': {
      description:
        'METRICS_TOKEN is set and the request did not carry it (`error`: `invalid_token`; a `WWW-Authenticate: Bearer realm="metrics"` challenge).',
      content: {
        'application/json': {
          schema: { type: 'object', required: ['error'], properties: { error: { const: 'invalid_token' } } },
        },
      },
    },
  },
};

/** The document describing itself, as both services serve it on /openapi.json. */
export const openApiOperation = {
  summary: 'This OpenAPI 3.1 document',
  operationId: 'openApiDocument',
  tags: ['operations'],
  security: [],
  responses: {
    '200': {
      description: 'Generated from the model declarations and the ORM metadata at start-up.',
      content: { 'application/json': { schema: { type: 'object' } } },
    },
  },
};
