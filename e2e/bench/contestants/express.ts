/**
 * The straightforward way, i.e. what the admin stack would do if it served the API itself: Express 5,
 * jose verifying the token on every request, the ORM loading the row, `res.json`. Written the way the
 * Express, jose and MikroORM documentation show, with no caching added.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Product } from '@tandem/models';
import { announceReady } from './ready.js';
import { openContestantOrm, productJson } from './product-source.js';

const port = Number(process.env.PORT ?? 0);
const jwks = createRemoteJWKSet(new URL(process.env.JWKS_URL ?? ''));
const issuer = process.env.TOKEN_ISSUER ?? '';
const audience = process.env.TOKEN_AUDIENCE ?? 'tandem';
const orm = await openContestantOrm();

const app = express();
app.disable('x-powered-by');
app.use(async (req: Request, res: Response, next: NextFunction) => {
  const token = req.headers.authorization?.replace(/^Bearer /, '');
  try {
    const { payload } = await jwtVerify(token ?? '', jwks, { issuer, audience, algorithms: ['EdDSA'] });
    if (
      !String(payload.scope ?? '')
        .split(' ')
        .includes('catalog:read')
    ) {
      res.status(403).json({ error: 'insufficient_scope' });
      return;
    }
    next();
  } catch {
    res.status(401).json({ error: 'invalid_token' });
  }
});
app.get('/v1/products/:id', async (req, res) => {
  const product = await orm.em.fork().findOne(Product, { id: Number(req.params.id), published: true });
  if (!product) {
    res.status(404).json({ error: 'not_found' });
    return;
  }
  res.json(productJson(product));
});
app.get('/v1/products', async (req, res) => {
  const limit = Math.min(Number(req.query.limit ?? 50), 1000);
  const after = Number(req.query.after ?? 0);
  const rows = await orm.em
    .fork()
    .find(Product, { published: true, id: { $gt: after } }, { orderBy: { id: 'asc' }, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  res.json({ items: page.map(productJson), next: rows.length > limit && last ? String(last.id) : null });
});
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  announceReady(
    'express',
    `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`,
  );
});
