import { COLLECTION_SCOPES, hotProjections } from '@tandem/models';
import { WRITES_COLLECTION } from '@tandem/models/openapi';
import { IDENTITY_SCOPES } from '@tandem/tokens';

/**
 * The collections whose rows belong to users (rowAccess by the `sub` claim): only a token that names a
 * user may use them. (A write's outcome belongs to whoever sent it, a machine client too: `subject`.)
 */
const OWNED = hotProjections.filter((hot) => hot.rowAccess?.claim === 'sub');
/** The scope that reads write outcomes (the `writes` collection: a 202's Location, the topic). */
const OUTCOMES_SCOPE = hotProjections.find((hot) => hot.collection === WRITES_COLLECTION)?.scope;
const WRITE_SCOPES = new Set(hotProjections.flatMap((hot) => (hot.writes ? [hot.writes.scope] : [])));

/**
 * What to tell whoever gives a client or role these scopes, one line each: a scope no collection asks
 * for (a typo such as "catlog:read" otherwise made a client whose tokens opened nothing, silently), or
 * none at all; a machine client's scope on rows that belong to users (its tokens name no user: fast
 * answers 403); a write scope without the scope that reads what became of the writes. Warnings, not
 * refusals: a scope may be meant for another service that trusts these tokens.
 */
export function scopeWarnings(
  scopes: readonly string[],
  holder: 'client' | 'role',
  options: { machine?: boolean } = {},
): string[] {
  const known = [...COLLECTION_SCOPES, ...IDENTITY_SCOPES].sort();
  const unknown = scopes.filter((scope) => !known.includes(scope));
  const warnings = unknown.map(
    (scope) =>
      `warning: nothing in this project asks for scope "${scope}" (a typo?); tokens with it open nothing here. ` +
      `Known: ${known.join(', ')}.`,
  );
  if (scopes.length === 0 && holder === 'client')
    warnings.push('warning: the client has no scopes: its tokens read and write nothing (give --scope).');
  if (options.machine)
    for (const hot of OWNED) {
      const lifted = hot.rowAccess!.anyScope !== undefined && scopes.includes(hot.rowAccess!.anyScope);
      if (scopes.includes(hot.scope) && !lifted)
        warnings.push(
          `warning: "${hot.scope}" reads ${hot.collection}, whose rows belong to users; this client's tokens name ` +
            `no user, so fast answers them 403${hot.rowAccess!.anyScope ? ` (give "${hot.rowAccess!.anyScope}" to read every row)` : ''}.`,
        );
      if (hot.writes && scopes.includes(hot.writes.scope))
        warnings.push(
          `warning: "${hot.writes.scope}" writes ${hot.collection}, whose rows belong to users; this client's tokens ` +
            'name no user, so fast refuses its writes (403).',
        );
    }
  const writes = scopes.filter((scope) => WRITE_SCOPES.has(scope));
  if (writes.length > 0 && OUTCOMES_SCOPE !== undefined && !scopes.includes(OUTCOMES_SCOPE))
    warnings.push(
      `warning: ${writes.map((scope) => `"${scope}"`).join(', ')} without "${OUTCOMES_SCOPE}": writes are accepted, but ` +
        `what became of them (a 202's Location, GET /v1/writes/{id}, the writes topic) is 403; only Prefer: wait answers with it.`,
    );
  return warnings;
}
