import session from 'express-session';
import type { ActionRequest, CurrentAdmin } from 'adminjs';
import type { EntityManager } from '@mikro-orm/core';
import { staffMember } from '../staff-session.js';

/** Why a background job stopped before its next batch: its owner may no longer run it. */
export class OwnerAccessChanged extends Error {
  override name = 'OwnerAccessChanged';
}

/** The express-session fields @adminjs/express copies from the Express request onto the ActionRequest. */
interface SessionFields {
  readonly sessionID?: unknown;
  readonly sessionStore?: unknown;
}

function readSession(store: session.Store, id: string): Promise<session.SessionData | null> {
  return new Promise((resolve, reject) =>
    store.get(id, (error: unknown, data?: session.SessionData | null) =>
      error ? reject(error) : resolve(data ?? null),
    ),
  );
}

/**
 * The owner of a job started by `request`, as they are now: what requireStaff (auth.ts) would let in,
 * asked again before each batch of a job that outlives its request. Their session must still exist
 * (logging out, or its expiry, ends it) and belong to them; the account must still be active staff
 * whose password is the one that session logged in with; and `mayRun` must still hold for the
 * reloaded permissions. Otherwise throws OwnerAccessChanged, so a revoked permission, a deactivated
 * account or a logout stops the job as it stops the owner's next request. A request without a
 * session (not from the admin's router) never passes.
 */
export function jobOwner(
  request: ActionRequest,
  owner: string,
  em: () => EntityManager,
  mayRun: (admin: CurrentAdmin) => boolean,
): () => Promise<CurrentAdmin> {
  const { sessionID, sessionStore } = request as ActionRequest & SessionFields;
  return async () => {
    const data =
      typeof sessionID === 'string' && sessionStore instanceof session.Store
        ? await readSession(sessionStore, sessionID)
        : null;
    const id = Number(data?.adminUser?.id);
    if (!data || !Number.isSafeInteger(id) || String(id) !== owner)
      throw new OwnerAccessChanged('you logged out (or your session ended); rows already done stay done.');
    const member = await staffMember(em(), id, data.credentialStamp ?? '');
    if (!member || !mayRun(member))
      throw new OwnerAccessChanged(
        'your access changed (account deactivated, password changed or permission removed); rows already done stay done.',
      );
    return member;
  };
}
