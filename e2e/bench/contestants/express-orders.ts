/**
 * The synchronous way to take an order (issue 15's contestant): Express 5, jose verifying the token on
 * every request, and one MikroORM transaction per request that locks the ordered products
 * (`SELECT … FOR UPDATE`, in id order), checks each is published and in stock, decrements the stock
 * and inserts the order, then answers 201 with the order. Written the way the Express, jose and
 * MikroORM documentation show; the same rules as Tandem's applier (published, one currency, never
 * below zero, the price from the product), so a 201 here is an applied order.
 */
import express, { type Request, type Response } from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { LockMode } from '@mikro-orm/core';
import { Order, Product, User, orderTotal, type OrderLine } from '@tandem/models';
import { announceReady } from './ready.js';
import { openContestantOrm } from './product-source.js';

const port = Number(process.env.PORT ?? 0);
const jwks = createRemoteJWKSet(new URL(process.env.JWKS_URL ?? ''));
const issuer = process.env.TOKEN_ISSUER ?? '';
const audience = process.env.TOKEN_AUDIENCE ?? 'tandem';
const orm = await openContestantOrm();

/** A refusal of the order itself (422), as opposed to a failure of the server (500). */
class OrderRefused extends Error {}

interface RequestedLine {
  readonly productId: number;
  readonly quantity: number;
}

function requestedLines(body: unknown): RequestedLine[] | undefined {
  const lines = (body as { lines?: unknown } | undefined)?.lines;
  if (!Array.isArray(lines) || lines.length === 0 || lines.length > 100) return undefined;
  const valid = lines.every(
    (line: unknown) =>
      typeof line === 'object' &&
      line !== null &&
      Object.keys(line).every((key) => key === 'productId' || key === 'quantity') &&
      Number.isSafeInteger((line as RequestedLine).productId) &&
      (line as RequestedLine).productId >= 1 &&
      Number.isSafeInteger((line as RequestedLine).quantity) &&
      (line as RequestedLine).quantity >= 1 &&
      (line as RequestedLine).quantity <= 10_000,
  );
  return valid ? (lines as RequestedLine[]) : undefined;
}

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '64kb' }));
app.post('/v1/orders', async (req: Request, res: Response) => {
  let subject: string;
  try {
    const { payload } = await jwtVerify(req.headers.authorization?.replace(/^Bearer /, '') ?? '', jwks, {
      issuer,
      audience,
      algorithms: ['EdDSA'],
    });
    if (
      !String(payload.scope ?? '')
        .split(' ')
        .includes('orders:write')
    ) {
      res.status(403).json({ error: 'insufficient_scope' });
      return;
    }
    subject = String(payload.sub);
  } catch {
    res.status(401).json({ error: 'invalid_token' });
    return;
  }
  const lines = requestedLines(req.body);
  const userId = Number(subject);
  if (!lines || !Number.isSafeInteger(userId)) {
    res.status(422).json({ error: 'validation_failed' });
    return;
  }
  try {
    const order = await orm.em.fork().transactional(async (em) => {
      const ids = [...new Set(lines.map((line) => line.productId))].sort((a, b) => a - b);
      const products = await em.find(
        Product,
        { id: { $in: ids } },
        { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
      );
      const byId = new Map(products.map((product) => [product.id, product]));
      for (const { productId, quantity } of lines) {
        const product = byId.get(productId);
        if (!product?.published) throw new OrderRefused(`Product ${productId} is not available.`);
        if (product.stock < quantity) throw new OrderRefused(`Product ${productId} is out of stock.`);
        product.stock -= quantity;
      }
      const currencies = new Set(products.map((product) => product.currency));
      if (currencies.size > 1) throw new OrderRefused('These products are priced in different currencies.');
      const priced: OrderLine[] = lines.map(({ productId, quantity }) => ({
        productId,
        quantity,
        unitPriceCents: byId.get(productId)!.priceCents,
      }));
      return em.create(Order, {
        user: em.getReference(User, userId),
        status: 'pending',
        currency: [...currencies][0]!,
        totalCents: orderTotal(priced),
        lines: priced,
      });
    });
    res.status(201).json({
      id: order.id,
      userId,
      status: order.status,
      currency: order.currency,
      totalCents: order.totalCents,
      lines: order.lines,
      createdAt: order.createdAt.toISOString(),
      updatedAt: order.updatedAt.toISOString(),
    });
  } catch (error) {
    if (error instanceof OrderRefused) res.status(422).json({ error: 'rejected', message: error.message });
    else res.status(500).json({ error: 'server_error' });
  }
});
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  announceReady(
    'express-orders',
    `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`,
  );
});
