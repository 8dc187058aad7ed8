import type AdminJS from 'adminjs';
import {
  ForbiddenError,
  ViewHelpers,
  actionErrorHandler,
  type ActionDecorator,
  type BaseResource,
} from 'adminjs';
import type { Request, RequestHandler } from 'express';
import { ownEntry } from '@tandem/models';

/**
 * Which kind of action each API route runs: `actions/x` a resource's, `records/:id/x` a record's, `bulk/x`
 * several records'. Lower case only, as the routes themselves: the admin's routing is case-sensitive
 * (server.ts), so no other spelling reaches AdminJS.
 */
const ACTION_ROUTE =
  /^\/(?:actions\/(?<resource>[^/]+)|records\/[^/]+\/(?<record>[^/]+)|bulk\/(?<bulk>[^/]+))/;

/** The action decorator's test for each kind of route (ACTION_ROUTE's group names). */
const RUNS_ON = { resource: 'isResourceType', record: 'isRecordType', bulk: 'isBulkType' } as const;

type ActionKind = keyof typeof RUNS_ON;

/** What a request under `/api/resources/:resourceId` names, as far as the admin knows it. */
interface RoutedAction {
  readonly resource: BaseResource | undefined;
  /** Undefined on a route that names no action (the old `search/:query`). */
  readonly kind: ActionKind | undefined;
  readonly name: string | undefined;
  /** The resource's own action of that name and kind; undefined when there is none. */
  readonly action: ActionDecorator | undefined;
}

function routedAction(admin: AdminJS, req: Request): RoutedAction {
  const resource = admin.resources.find((candidate) => candidate.id() === req.params.resourceId);
  const groups = ACTION_ROUTE.exec(req.path)?.groups ?? {};
  const kind = (Object.keys(RUNS_ON) as ActionKind[]).find((key) => groups[key] !== undefined);
  const name = kind === undefined ? undefined : groups[kind]!;
  const actions = resource?.decorate().actions;
  const action =
    kind !== undefined && name !== undefined && actions !== undefined ? ownEntry(actions, name) : undefined;
  return { resource, kind, name, action: action?.[RUNS_ON[kind!]]() ? action : undefined };
}

/**
 * AdminJS answers an unknown resource or action with an exception (a 500); answer 404 instead. The
 * action is looked up among the resource's own actions only: `constructor` or `toString` would find
 * Object.prototype's members on the plain object of actions, and AdminJS then fails on them (a 500).
 * An action of another kind than its route's (`records/1/list`, `actions/show`) is unknown there too:
 * AdminJS ran it and failed on its answer (a 500).
 */
export function knownResourcesOnly(admin: AdminJS): RequestHandler {
  return (req, res, next) => {
    const { resource, name, action } = routedAction(admin, req);
    if (!resource || (name !== undefined && !action)) {
      res.status(404).json({ error: 'not_found', message: 'No such resource or action.' });
      return;
    }
    // The stock `new` action throws on anything but POST (a 500): there is nothing to read from it.
    if (name === 'new' && req.method !== 'POST') {
      res.status(405).set('Allow', 'POST').json({
        error: 'method_not_allowed',
        message: 'A new record is created with POST; there is nothing to GET here.',
      });
      return;
    }
    next();
  };
}

/**
 * AdminJS loads a record action's record (a bulk action's records) before it asks whether the staff
 * member may run the action: a refused staff member got 403 for an id that exists and "not found"
 * for one that does not, so could tell which users, clients or sessions exist. The action is asked
 * first here, without a record, and refused with AdminJS's own answer to a refusal, with 403, the same
 * whatever the id. Every `isAccessible` in the admin reads the staff member only (permissions.ts); one
 * that read the record too would be asked here without it, and again by AdminJS with it.
 */
export function refusedBeforeLookup(admin: AdminJS): RequestHandler {
  return (req, res, next) => {
    const { resource, kind, action } = routedAction(admin, req);
    if (!resource || !action || kind === 'resource') return next();
    const currentAdmin = req.session.adminUser;
    if (action.isAccessible(currentAdmin)) return next();
    const context = { _admin: admin, resource, action, currentAdmin, h: new ViewHelpers(admin) };
    res.status(403).json(actionErrorHandler(new ForbiddenError('forbiddenError'), context));
  };
}
