/**
 * U+0000 in a parameter value. No text column stores it (PostgreSQL refuses the whole statement,
 * "invalid byte sequence for encoding UTF8: 0x00", which would be a 500) and no OAuth or OpenID
 * Connect value holds it. The one rule for body parameters (params.ts), a client id from HTTP Basic
 * (client-auth.ts) and what the authorization and logout endpoints read from a query string.
 */
export function holdsNul(value: string): boolean {
  return value.includes('\0');
}

/** The name of the first parameter whose value holds U+0000, if any (names are never stored). */
export function parameterWithNul(params: Iterable<readonly [string, string]>): string | undefined {
  for (const [name, value] of params) if (holdsNul(value)) return name;
  return undefined;
}

/** The refusal's description. */
export function nulDescription(name: string): string {
  return `Parameter "${name.slice(0, 40)}" must not contain U+0000.`;
}
