/**
 * The name/value pairs of a request's query string, exactly as `new URLSearchParams(query)` lists
 * them. Queries without `%` or `+` (every list page a client asks for by limit, cursor and plain
 * filter values) need no decoding, so they are split in place: URLSearchParams' character-by-character
 * parser and its object were a third of a 100-item page's JavaScript. Any other query goes through
 * URLSearchParams itself. Like URLSearchParams, one leading `?` is not part of the first name: the
 * server hands over what follows the URL's first `?`, so `/v1/products??limit=1` arrives as `?limit=1`.
 */
export function queryPairs(query: string): [name: string, value: string][] {
  if (query.includes('%') || query.includes('+')) return [...new URLSearchParams(query)];
  const pairs: [string, string][] = [];
  for (let at = query[0] === '?' ? 1 : 0; at < query.length;) {
    let end = query.indexOf('&', at);
    if (end === -1) end = query.length;
    if (end > at) {
      const eq = query.indexOf('=', at);
      pairs.push(
        eq === -1 || eq > end ? [query.slice(at, end), ''] : [query.slice(at, eq), query.slice(eq + 1, end)],
      );
    }
    at = end + 1;
  }
  return pairs;
}
