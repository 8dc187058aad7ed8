// The list's query string (filters, search, sort, page, page size), read and changed in one place by
// the list's toolbar, chips and pagination. AdminJS's own storeParams drops perPage, so these keep
// every parameter they do not change.
import { useLocation, useNavigate } from 'react-router';
import { useTranslation } from 'adminjs';

export const SEARCH_KEY = 'filters.q';
/** AdminJS's PARAM_SEPARATOR (components cannot import it): filters.createdAt~~from, ~~to. */
export const RANGE_SEPARATOR = '~~';
export const PAGE_SIZES = [25, 50, 100, 200];
/** Thousands separators, one locale for the whole admin. */
export const formatCount = (n) => Number(n).toLocaleString('en');

/** [params, change]: change({ key: value | null }) navigates to the list with those keys set or removed. */
export function useListParams() {
  const location = useLocation();
  const navigate = useNavigate();
  const params = new window.URLSearchParams(location.search);
  const change = (changes, { keepPage = false } = {}) => {
    const next = new window.URLSearchParams(location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(key);
      else next.set(key, String(value));
    }
    // Narrowing or widening the list starts again at its first page.
    if (!keepPage) next.delete('page');
    navigate({ pathname: location.pathname, search: next.toString() });
  };
  return [params, change];
}

/** The active filters (search included) as [key, value] pairs, e.g. ['filters.category', '3']. */
export const activeFilters = (params) =>
  [...params.entries()].filter(([key, value]) => key.startsWith('filters.') && value !== '');

/** The resource's sidebar label in lower case, "products": what the list's texts call its rows. */
export function useRowNoun(resource) {
  const { translateLabel } = useTranslation();
  return translateLabel(resource.name, resource.id).toLowerCase();
}
