import { createHash, randomBytes } from 'node:crypto';

/**
 * Refresh tokens are opaque: 256 random bits, base64url. Only their SHA-256 is stored; a plain
 * (unkeyed) hash is enough because the input has full entropy, and it keeps lookups a single indexed
 * equality query.
 */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A value that could be one of our refresh tokens (cheap pre-check before touching the database). */
export function looksLikeRefreshToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
