import {
  NotFoundError,
  type Action,
  type ActionContext,
  type ActionResponse,
  type BaseRecord,
} from 'adminjs';
import type { ResourceDeps } from '../resources/common.js';

/** What one confirmed bulk action does; the drawer, the GET/POST split and the answer are shared. */
export interface ConfirmedBulkSpec {
  readonly icon: string;
  readonly variant?: Action<ActionResponse>['variant'];
  /** The selected things as the "No … were selected." error names them ("clients"). */
  readonly noun: string;
  /** Where a NotFoundError says it came from (the action's builder). */
  readonly source: string;
  /** Makes the change (POST only) and says what changed, for the success notice. */
  apply(records: readonly BaseRecord[], context: ActionContext): Promise<string>;
}

/**
 * A bulk action that asks first: GET opens the confirmation drawer (BulkConfirm) on the selection,
 * only the POST changes anything, then the list page shows what changed.
 */
export function confirmedBulkAction(
  deps: ResourceDeps,
  spec: ConfirmedBulkSpec,
): Partial<Action<ActionResponse>> {
  return {
    actionType: 'bulk',
    icon: spec.icon,
    ...(spec.variant === undefined ? {} : { variant: spec.variant }),
    showInDrawer: true,
    component: deps.components.BulkConfirm,
    handler: async (request, _response, context) => {
      const { records, resource, h, currentAdmin } = context;
      if (!records || records.length === 0)
        throw new NotFoundError(`No ${spec.noun} were selected.`, spec.source);
      if (request.method !== 'post') return { records: records.map((record) => record.toJSON(currentAdmin)) };
      const message = await spec.apply(records, context);
      return {
        records: records.map((record) => record.toJSON(currentAdmin)),
        notice: { message, type: 'success' },
        redirectUrl: h.resourceUrl({ resourceId: resource.id() }),
      };
    },
  };
}
