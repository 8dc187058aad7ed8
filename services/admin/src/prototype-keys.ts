import type { RequestHandler } from 'express';
import { RequestRefused } from './request-refused.js';

/** Path segments that reach Object.prototype when AdminJS unflattens `a.b.c` form keys. */
const PROTOTYPE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** The first form or query key whose dotted path would walk into an object's prototype, if any. */
export function prototypeKey(keys: Iterable<string>): string | undefined {
  for (const key of keys) if (key.split('.').some((part) => PROTOTYPE_SEGMENTS.has(part))) return key;
  return undefined;
}

/**
 * Refuses `__proto__.x` and `constructor.prototype.x` in form fields and query strings before AdminJS
 * unflattens them (which used to end in a 500, and is a prototype-pollution attempt in any case).
 */
export const refusePrototypeKeys: RequestHandler = (req, _res, next) => {
  const fields = (req as { fields?: Record<string, unknown> }).fields ?? {};
  const key = prototypeKey([...Object.keys(fields), ...Object.keys(req.query ?? {})]);
  if (key === undefined) return next();
  next(new RequestRefused(400, 'forbidden_key', `The form or query key "${key}" is not allowed.`));
};
