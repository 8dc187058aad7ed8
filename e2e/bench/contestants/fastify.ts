/**
 * The popular fast Node choice, configured at its best: Fastify 5 + @fastify/jwt with its
 * verified-token cache, serving products from an in-memory map with `reply.send(object)` (Fastify's
 * schema-less serializer is JSON.stringify per response).
 */
import Fastify from 'fastify';
import fastifyJwt from '@fastify/jwt';
import { createPublicKey } from 'node:crypto';
import { announceReady } from './ready.js';
import { loadHotProducts, type ProductJson } from './product-source.js';

const port = Number(process.env.PORT ?? 0);
const jwksUrl = process.env.JWKS_URL ?? '';
const issuer = process.env.TOKEN_ISSUER ?? '';
const audience = process.env.TOKEN_AUDIENCE ?? 'tandem';

const { keys } = (await (await fetch(jwksUrl)).json()) as { keys: import('node:crypto').JsonWebKey[] };
const current = keys[0];
if (!current) throw new Error('fastify contestant: empty JWKS');
const publicKey = createPublicKey({ key: current, format: 'jwk' }).export({ type: 'spki', format: 'pem' });

const products = new Map<number, ProductJson>();
const ids: number[] = [];
for (const product of await loadHotProducts()) {
  products.set(product.id, product);
  ids.push(product.id);
}

const app = Fastify({ logger: false });
await app.register(fastifyJwt, {
  secret: { public: publicKey.toString() },
  verify: { algorithms: ['EdDSA'], allowedIss: issuer, allowedAud: audience, cache: 10_000 },
});
app.addHook('onRequest', async (request) => {
  await request.jwtVerify();
});
app.get<{ Params: { id: string } }>('/v1/products/:id', async (request, reply) => {
  const product = products.get(Number(request.params.id));
  if (!product) return reply.code(404).send({ error: 'not_found' });
  return reply.send(product);
});
app.get<{ Querystring: { limit?: string; after?: string } }>('/v1/products', async (request, reply) => {
  const limit = Math.min(Number(request.query.limit ?? 50), 1000);
  const after = Number(request.query.after ?? 0);
  const start = firstIndexAfter(ids, after);
  const page = ids.slice(start, start + limit);
  const items = page.map((id) => products.get(id));
  const last = page.at(-1);
  const next = start + limit < ids.length && last !== undefined ? String(last) : null;
  return reply.send({ items, next });
});
/** Binary search over the sorted ids: the keyset cursor, as a careful hand would write it. */
function firstIndexAfter(sorted: readonly number[], after: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}

await app.listen({ host: '127.0.0.1', port });
const address = app.server.address();
announceReady('fastify', `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`);
