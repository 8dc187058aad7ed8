/**
 * `uri` with `values` added to its query, the registered query kept byte for byte: RFC 6749 §3.1.2
 * says a redirection URI's query MUST be retained. Going through URL.searchParams would serialize it
 * again (a bare `flag` becomes `flag=`, `/` and `;` are percent-encoded), and a client that matches its
 * callback strictly would break. The values are encoded as a form query, as URLSearchParams does.
 */
export function withQueryValues(uri: string, values: Iterable<readonly [string, string]>): string {
  const query = new URLSearchParams();
  for (const [name, value] of values) query.append(name, value);
  const added = query.toString();
  if (added === '') return uri;
  const hash = uri.indexOf('#');
  const base = hash === -1 ? uri : uri.slice(0, hash);
  const fragment = hash === -1 ? '' : uri.slice(hash);
  const joiner = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${joiner}${added}${fragment}`;
}
