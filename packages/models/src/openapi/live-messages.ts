import type { JsonSchema } from '../model.js';
import { ref } from './document.js';

const TOPIC_PATTERN = '^[a-z][a-z0-9_-]{0,62}(/[1-9][0-9]{0,14})?$';

/** What a client sends and receives on the WebSocket `/v1/live`, as JSON Schemas. */
export function liveMessageSchemas(collections: readonly { collection: string; schema: string }[]) {
  const schemas: Record<string, JsonSchema> = {
    LiveSubscribe: {
      type: 'object',
      description:
        'Client → server: receive the changes of a collection ("products") or of one record ("products/42").',
      required: ['type', 'topic'],
      properties: { type: { const: 'subscribe' }, topic: { type: 'string', pattern: TOPIC_PATTERN } },
      examples: [{ type: 'subscribe', topic: collections[0]?.collection ?? 'products' }],
    },
    LiveUnsubscribe: {
      type: 'object',
      description: 'Client → server: stop receiving a topic.',
      required: ['type', 'topic'],
      properties: { type: { const: 'unsubscribe' }, topic: { type: 'string', pattern: TOPIC_PATTERN } },
    },
    LiveClientMessage: { oneOf: [ref('LiveSubscribe'), ref('LiveUnsubscribe')] },
    LiveSubscribed: {
      type: 'object',
      description: 'Server → client: the subscription is active.',
      required: ['type', 'topic'],
      properties: { type: { const: 'subscribed' }, topic: { type: 'string' } },
      additionalProperties: false,
    },
    LiveUnsubscribed: {
      type: 'object',
      required: ['type', 'topic'],
      properties: { type: { const: 'unsubscribed' }, topic: { type: 'string' } },
      additionalProperties: false,
    },
    LiveError: {
      type: 'object',
      description: 'Server → client: a message was refused; the connection stays open.',
      required: ['type', 'code', 'message'],
      properties: {
        type: { const: 'error' },
        code: {
          enum: [
            'bad_message',
            'unknown_type',
            'bad_topic',
            'unknown_topic',
            'insufficient_scope',
            'too_many_subscriptions',
          ],
        },
        message: { type: 'string' },
        topic: { type: 'string', description: 'The topic the refusal is about, when there is one.' },
      },
      additionalProperties: false,
    },
  };
  const changes = collections.map(({ collection, schema }) => {
    const name = `${schema}Change`;
    schemas[name] = {
      type: 'object',
      description: `Server → client: a ${collection} record was created or changed (upsert, data is the record) or left the collection (delete, data is null).`,
      required: ['type', 'topic', 'op', 'id', 'data'],
      properties: {
        type: { const: 'change' },
        topic: { type: 'string', pattern: `^${collection}(/[1-9][0-9]{0,14})?$` },
        op: { enum: ['upsert', 'delete'] },
        id: { type: 'integer' },
        data: { oneOf: [ref(schema), { type: 'null' }] },
      },
      additionalProperties: false,
    };
    return ref(name);
  });
  schemas.LiveChange = { oneOf: changes };
  schemas.LiveServerMessage = {
    oneOf: [ref('LiveSubscribed'), ref('LiveUnsubscribed'), ref('LiveError'), ...changes],
  };
  return schemas;
}

/** How the server ends a live connection, besides the standard codes. */
export const LIVE_CLOSE_CODES = {
  '1008': 'More than 50 messages of this connection were refused (each with an error frame).',
  '1009': 'A client message over 4 KiB.',
  '4401': 'The access token expired.',
  '4403': 'The session was revoked.',
} as const;
