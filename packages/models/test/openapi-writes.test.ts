/**
 * The fast service's OpenAPI document describes the write path (issue 15) from the same declarations:
 * POST/PATCH/DELETE where a collection declares writes (their request bodies are the schemas the
 * service validates with), the write scope, the headers, every answer, and GET /v1/writes/{id}.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hotProjections, openOrm, registry, writeBodySchemas, type Orm } from '../src/index.js';
import { WRITE_ERROR_CODES, openApiDocument, type OpenApiDocument } from '../src/openapi/index.js';

let orm: Orm;
let doc: OpenApiDocument;
const metadata = (name: string) => orm.getMetadata().find(name) ?? undefined;

before(async () => {
  orm = await openOrm({ dialect: 'sqlite', path: ':memory:', url: 'sqlite::memory:' }, { connect: false });
  doc = openApiDocument({ registry, metadata });
});
after(() => orm.close(true));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reading the generated JSON
const json = (value: unknown): any => value;
const paths = () => json(doc.paths);
const schemas = () => json(doc.components.schemas);

test('orders: POST and PATCH behind orders:write, no DELETE; bodies are the validated schemas', () => {
  const orders = hotProjections.find((hot) => hot.collection === 'orders')!;
  const bodies = writeBodySchemas(orders, metadata);
  const post = paths()['/v1/orders'].post;
  assert.equal(post.operationId, 'create_orders');
  assert.deepEqual(post.security, [{ bearer: ['orders:write'] }]);
  assert.deepEqual(post.requestBody.content['application/json'].schema, {
    $ref: '#/components/schemas/OrderCreate',
  });
  assert.deepEqual(schemas().OrderCreate, bodies.create);
  assert.deepEqual(schemas().OrderPatch, bodies.update);
  assert.ok(paths()['/v1/orders'].get, 'the list is still there');
  const patch = paths()['/v1/orders/{id}'].patch;
  assert.deepEqual(Object.keys(patch.requestBody.content), [
    'application/merge-patch+json',
    'application/json',
  ]);
  assert.equal(paths()['/v1/orders/{id}'].delete, undefined, 'orders are cancelled, not deleted');
  assert.ok(paths()['/v1/orders/{id}'].get, 'the record path is still there');
  assert.match(post.description, /`userId` is the caller's \(from the token\), never taken from the body/);
});

test('answers and headers of each write operation', () => {
  const post = paths()['/v1/orders'].post;
  assert.deepEqual(Object.keys(post.responses).sort(), [
    '201',
    '202',
    '400',
    '401',
    '403',
    '409',
    '413',
    '414',
    '415',
    '422',
    '429',
    '431',
    '503',
  ]);
  assert.deepEqual(post.responses['202'].content['application/json'].schema, {
    $ref: '#/components/schemas/WriteAccepted',
  });
  assert.ok(post.responses['202'].headers.Location && post.responses['201'].headers.Location);
  assert.ok(post.responses['201'].headers['Preference-Applied']);
  assert.deepEqual(
    post.parameters.map((parameter: { $ref: string }) => parameter.$ref),
    ['#/components/parameters/idempotencyKey', '#/components/parameters/prefer'],
  );
  const patch = paths()['/v1/orders/{id}'].patch;
  for (const status of ['200', '202', '404', '409', '412', '413', '415', '422', '429', '503'])
    assert.ok(patch.responses[status], `PATCH answers ${status}`);
  assert.deepEqual(
    patch.parameters.map((parameter: { name?: string; $ref?: string }) => parameter.name ?? parameter.$ref),
    [
      'id',
      '#/components/parameters/ifMatch',
      '#/components/parameters/idempotencyKey',
      '#/components/parameters/prefer',
    ],
  );
  const remove = paths()['/v1/products/{id}'].delete;
  assert.deepEqual(remove.security, [{ bearer: ['products:write'] }]);
  assert.ok(remove.responses['204'] && remove.responses['412'] && !remove.responses['413']);
  assert.equal(remove.requestBody, undefined);
  const parameters = json(doc.components.parameters);
  assert.equal(parameters.idempotencyKey.name, 'Idempotency-Key');
  assert.equal(parameters.idempotencyKey.schema.maxLength, 255);
  assert.equal(parameters.ifMatch.name, 'If-Match');
  assert.equal(parameters.prefer.name, 'Prefer');
  const responses = json(doc.components.responses);
  assert.deepEqual(
    responses.Unprocessable.content['application/json'].schema.allOf[1].properties.error.enum,
    [...WRITE_ERROR_CODES.Unprocessable],
  );
  assert.deepEqual(responses.TooManyWrites.headers['Retry-After'].schema, { type: 'integer', minimum: 1 });
  assert.ok(schemas().WriteError.allOf[1].properties.errors);
});

test('a write’s outcome: the writes collection, read behind writes:read, queued answers included', () => {
  const write = schemas().Write;
  assert.deepEqual(write.required, [
    'id',
    'status',
    'collection',
    'op',
    'recordId',
    'httpStatus',
    'errors',
    'acceptedAt',
    'appliedAt',
    'subject',
  ]);
  assert.deepEqual(write.properties.status, {
    type: 'string',
    maxLength: 16,
    enum: ['queued', 'applied', 'rejected'],
  });
  assert.deepEqual(write.properties.appliedAt, { type: ['string', 'null'], format: 'date-time' });
  const get = paths()['/v1/writes/{id}'].get;
  assert.deepEqual(get.security, [{ bearer: ['writes:read'] }]);
  assert.deepEqual(get.responses['200'].content['application/json'].schema, {
    anyOf: [{ $ref: '#/components/schemas/Write' }, { $ref: '#/components/schemas/WriteAccepted' }],
  });
  assert.equal(paths()['/v1/writes'].post, undefined, 'outcomes are not written by clients');
  assert.equal(paths()['/v1/writes/{id}'].patch, undefined);
  assert.equal(paths()['/v1/categories'].post, undefined, 'a collection without writes has no write paths');
  assert.equal(paths()['/v1/categories/{id}'].patch, undefined);
});

test('a document of collections without writes has no write components', () => {
  const readOnly = openApiDocument({
    registry,
    metadata,
    projections: hotProjections.filter((hot) => hot.collection === 'categories'),
  });
  assert.equal(json(readOnly.components.schemas).WriteAccepted, undefined);
  assert.equal(json(readOnly.components.responses).Unprocessable, undefined);
  assert.equal(json(readOnly.components.parameters).idempotencyKey, undefined);
});
