import type { ActionResponse, After } from 'adminjs';
import { requestView } from './copied-request.js';

/** The cookie components/ListMemory.jsx keeps per resource: the list page's last query string. */
export const LIST_COOKIE_PREFIX = 'tandem_list_';

/** Only the list's own parameters are put back (never anything else a cookie might hold). */
const KEPT = /^(filters\.[\w.]+|sortBy|direction|page|perPage)$/;

/** The remembered query string of a resource's list, from the request's Cookie header ('' if none). */
export function rememberedListQuery(cookieHeader: string | undefined, resourceId: string): string {
  const name = `${LIST_COOKIE_PREFIX}${resourceId}=`;
  const raw = (cookieHeader ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(name))
    ?.slice(name.length);
  if (!raw) return '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return '';
  }
  const kept = new URLSearchParams();
  for (const [key, value] of new URLSearchParams(decoded)) if (KEPT.test(key)) kept.append(key, value);
  return kept.toString();
}

/** The Cookie header of the request behind an action (a copy without `headers`: see copied-request.ts). */
function cookieHeader(request: object): string | undefined {
  return requestView(request).headers.cookie;
}

/**
 * After a save, delete or bulk action that sends the staff member to the bare list, send them to the
 * list as they left it: its filters, search, sort and page (Django's `_changelist_filters`). Only a
 * query string is added to the admin's own list URL, so the redirect cannot leave the admin.
 */
export function backToTheList(): After<ActionResponse> {
  return async (response, request, context) => {
    const list = context.h.resourceUrl({ resourceId: context.resource.id() });
    if (response.redirectUrl !== list) return response;
    const query = rememberedListQuery(cookieHeader(request), context.resource.id());
    return query === '' ? response : { ...response, redirectUrl: `${list}?${query}` };
  };
}
