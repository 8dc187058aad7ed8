import {
  ValidationError,
  type Action,
  type ActionContext,
  type ActionResponse,
  type After,
  type Before,
  type ResourceWithOptions,
} from 'adminjs';
import {
  ClientSecretHasher,
  newClientId,
  newClientSecret,
  requireSecretKey,
  revokeClientSessions,
} from '@tandem/tokens';
import { CLIENT_GRANT_TYPES, Client } from '@tandem/models';
import { confirmedBulkAction } from '../actions/confirmed-bulk.js';
import { actorOf, recordAudit } from '../orm/audit.js';
import { modelAdmin, type ResourceDeps } from './common.js';
import { RequestRefused } from '../request-refused.js';
import { heldScopes, mayRun, onlyScopesTheyHold, scopesNotHeld, targetIds } from './grant-only-held.js';

/** How long a new client's secret waits for its one showing (the redirect right after "Save"). */
const SHOW_ONCE_WINDOW_MS = 5 * 60_000;

/**
 * A new client's secret, between the create (which stores only its HMAC) and the first show page of
 * that client for the same staff member, where it is displayed once and forgotten. In memory only.
 */
class OneTimeSecrets {
  private readonly byClientId = new Map<string, string>();
  private readonly byRecord = new Map<string, { secret: string; adminId: string; expires: number }>();

  /** Called from `prepare`, inside the create transaction. */
  remember(clientId: string, secret: string): void {
    this.byClientId.set(clientId, secret);
  }

  /** Called after the create succeeded: binds the secret to the record and to who created it. */
  bind(clientId: string, recordId: string, adminId: string): boolean {
    const secret = this.byClientId.get(clientId);
    this.byClientId.delete(clientId);
    if (secret === undefined) return false;
    this.byRecord.set(recordId, { secret, adminId, expires: Date.now() + SHOW_ONCE_WINDOW_MS });
    return true;
  }

  take(recordId: string, adminId: string): string | undefined {
    const entry = this.byRecord.get(recordId);
    if (!entry || entry.adminId !== adminId) return undefined;
    this.byRecord.delete(recordId);
    return entry.expires > Date.now() ? entry.secret : undefined;
  }
}

/**
 * A staff member who is not a superuser may change (edit, deactivate, activate, one or in bulk) only
 * clients whose token scopes they hold, as they may change only accounts within theirs (user.ts). Otherwise change_client would reach tokens beyond
 * their own: point a first-party app's redirect URIs (or allowed origins) at a page of theirs, and every
 * user who signs in there hands them a code for that app's scopes, without a consent screen. The
 * client's scopes are read from the database, not from the form.
 */
function onlyClientsWithinTheirs(deps: ResourceDeps): Before {
  return async (request, context) => {
    if (context.currentAdmin?.isSuperuser === true || !mayRun(context)) return request;
    const ids = targetIds(context);
    if (ids.length === 0) return request;
    const clients = await deps.orm.em.fork().find(Client, { id: { $in: ids } });
    const held = await heldScopes(deps.orm, context.currentAdmin);
    for (const client of clients) {
      const missing = scopesNotHeld(held, client.scopes);
      if (missing.length > 0)
        throw new RequestRefused(
          403,
          'client_outranks_you',
          `You may not change the client "${client.name}": its tokens carry scopes you do not hold ` +
            `(${missing.join(', ')}). Ask a superuser.`,
        );
    }
    return request;
  };
}

/** Activate / deactivate the selected clients (confirmation drawer, POST only, audited). */
function setActiveAction(deps: ResourceDeps, isActive: boolean): Partial<Action<ActionResponse>> {
  return confirmedBulkAction(deps, {
    icon: isActive ? 'CheckCircle' : 'XCircle',
    variant: isActive ? 'primary' : 'danger',
    noun: 'clients',
    source: 'setActiveAction',
    async apply(records, context) {
      const ids = records.map((record) => Number(record.id())).filter((id) => Number.isSafeInteger(id));
      const actor = actorOf(context);
      const { changed, revoked } = await deps.orm.em.fork().transactional(async (em) => {
        let changed = 0;
        let revoked = 0;
        for (const id of ids) {
          if ((await em.nativeUpdate(Client, { id, isActive: !isActive }, { isActive })) === 0) continue;
          recordAudit(em, {
            actor,
            action: context.action.name,
            model: 'Client',
            recordId: id,
            diff: { isActive: { before: !isActive, after: isActive } },
          });
          changed += 1;
          // Its running tokens stop too: the fast service learns of revoked sessions through the change feed.
          if (!isActive) revoked += await revokeClientSessions(em, id, 'client_deactivated');
        }
        return { changed, revoked };
      });
      return `${isActive ? 'Activated' : 'Deactivated'}: ${changed} of ${records.length} client(s) changed${isActive ? '' : `, ${revoked} session(s) revoked`}.`;
    },
  });
}

/**
 * Clients: machine clients (client_credentials) and apps signing people in (authorization_code with
 * redirect URIs, allowed origins, public and first-party flags). Creating one generates its client_id
 * and a 256-bit secret; the secret is shown once, on the page right after "Save" (never for a public
 * client, which has none), and only its HMAC is stored. Clients are
 * deactivated, not edited into inactivity, so their sessions are revoked with them.
 */
export function clientResource(deps: ResourceDeps, secretKey: string | undefined): ResourceWithOptions {
  const secrets = new OneTimeSecrets();
  const adminIdOf = (context: ActionContext) => String(context.currentAdmin?.id ?? '');

  const admin = modelAdmin(
    deps,
    {
      name: 'Client',
      label: 'client',
      searchFields: ['name', 'clientId'],
      stringLists: ['scopes', 'redirectUris', 'allowedOrigins', 'grantTypes'],
      readOnly: ['clientId', 'isActive', 'createdAt'],
      unique: { clientId: 'client_id' },
      defaultSort: { sortBy: 'name', direction: 'asc' },
      async prepare(data, mode) {
        // Public or confidential is decided at creation: a confidential client's secret was shown
        // once, and a public client never had one to show.
        if (mode !== 'create') {
          return Object.fromEntries(Object.entries(data).filter(([name]) => name !== 'isPublic'));
        }
        const isPublic = data.isPublic === true || data.isPublic === 'true';
        let secretHasher: ClientSecretHasher;
        try {
          secretHasher = new ClientSecretHasher(requireSecretKey({ secretKey }));
        } catch (error) {
          throw new ValidationError({}, { message: (error as Error).message, type: 'invalid' });
        }
        const clientId = newClientId();
        const secret = newClientSecret();
        if (!isPublic) secrets.remember(clientId, secret);
        const grantTypes =
          Array.isArray(data.grantTypes) && data.grantTypes.length > 0
            ? data.grantTypes
            : ['client_credentials'];
        return {
          ...data,
          clientId,
          secretHash: secretHasher.hash(secret),
          isActive: true,
          isPublic,
          grantTypes,
        };
      },
    },
    'client',
    {
      navigation: { name: 'Auth', icon: 'Key' },
      titleProperty: 'name',
      listProperties: [
        'id',
        'name',
        'clientId',
        'scopes',
        'grantTypes',
        'isFirstParty',
        'isActive',
        'createdAt',
      ],
      filterProperties: ['q', 'isActive', 'isPublic', 'isFirstParty', 'createdAt'],
      editProperties: [
        'name',
        'scopes',
        'grantTypes',
        'redirectUris',
        'allowedOrigins',
        'isPublic',
        'isFirstParty',
      ],
      showProperties: [
        'id',
        'name',
        'clientId',
        'clientSecret',
        'scopes',
        'grantTypes',
        'redirectUris',
        'allowedOrigins',
        'isPublic',
        'isFirstParty',
        'isActive',
        'createdAt',
        'history',
      ],
      properties: {
        scopes: {
          type: 'string',
          isArray: true,
          description: 'Scopes this client may obtain, e.g. catalog:read',
        },
        grantTypes: {
          type: 'string',
          isArray: true,
          availableValues: CLIENT_GRANT_TYPES.map((value) => ({ value, label: value })),
          description:
            'client_credentials for a machine client; authorization_code (and refresh_token) for an app signing people in',
        },
        redirectUris: {
          type: 'string',
          isArray: true,
          description:
            'Exact redirect URIs of the sign-in flow (https, http only on 127.0.0.1/localhost, or com.example.app:/...)',
        },
        allowedOrigins: {
          type: 'string',
          isArray: true,
          description: 'Web origins (https://app.example) whose pages may call auth and fast (CORS)',
        },
        isPublic: {
          type: 'boolean',
          description:
            'A browser or mobile app that cannot keep a secret: no secret, PKCE required. Set at creation only.',
        },
        isFirstParty: {
          type: 'boolean',
          description: 'Your own app: users are not asked to consent',
        },
        clientSecret: {
          type: 'string',
          isVisible: { list: false, show: true, edit: false, filter: false },
          description:
            'Shown only once, right after the client is created: copy it now. Only a keyed hash is stored.',
        },
      },
      extraActions: ['deactivate', 'activate'],
      actions: {
        // Deactivating revokes a client's sessions, activating brings back one a superuser switched off.
        deactivate: { ...setActiveAction(deps, false), before: onlyClientsWithinTheirs(deps) },
        activate: { ...setActiveAction(deps, true), before: onlyClientsWithinTheirs(deps) },
        // A client's tokens carry its scopes: giving one `orders:read:any` is reading every order.
        new: { before: onlyScopesTheyHold(deps.orm, 'client') },
        edit: { before: [onlyClientsWithinTheirs(deps), onlyScopesTheyHold(deps.orm, 'client')] },
      },
      // Deactivated (which revokes its sessions), never deleted.
      refused: ['delete', 'bulkDelete'],
    },
  );

  const actions = admin.options!.actions as Record<string, Partial<Action<ActionResponse>>>;
  const afterNew: After<ActionResponse> = async (response, _request, context) => {
    const record = response.record as { id?: string; params?: Record<string, unknown> } | undefined;
    const clientId = record?.params?.clientId;
    if (
      record?.id &&
      typeof clientId === 'string' &&
      secrets.bind(clientId, String(record.id), adminIdOf(context))
    ) {
      response.redirectUrl = context.h.recordActionUrl({
        resourceId: 'Client',
        recordId: String(record.id),
        actionName: 'show',
      });
      response.notice = {
        message: 'Client created. Copy its secret now: it is shown only this once.',
        type: 'success',
      };
    }
    return response;
  };
  const showSecret: After<ActionResponse> = async (response, _request, context) => {
    const record = response.record as { id?: string; params?: Record<string, unknown> } | undefined;
    if (record?.id && record.params) {
      const secret = secrets.take(String(record.id), adminIdOf(context));
      record.params.clientSecret = secret ?? '(shown only once, when the client was created)';
    }
    return response;
  };
  // After the hooks modelAdmin gave them (the history panel, back to the list as it was left).
  actions.new = { ...actions.new, after: [...afterHooks(actions.new?.after), afterNew] };
  actions.show = { ...actions.show, after: [...afterHooks(actions.show?.after), showSecret] };
  return admin;
}

/** An action's `after` as a list (AdminJS takes one hook or several). */
function afterHooks(
  after: After<ActionResponse> | After<ActionResponse>[] | undefined,
): After<ActionResponse>[] {
  if (after === undefined) return [];
  return Array.isArray(after) ? after : [after];
}
