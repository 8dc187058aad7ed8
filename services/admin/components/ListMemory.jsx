// The list remembers where you were (Django's _changelist_filters). Mounted on every page as the
// sidebar's footer (overrides AdminJS's SidebarFooter, which only showed "made with love"). Each time
// a list page shows, its query string (filters, search, sort, page) is kept in a cookie for that
// resource; when a save, delete or bulk action then sends the staff member back to the list, the
// server puts the query string on that redirect (src/actions/list-memory.ts).
import React, { useEffect } from 'react';
import { useLocation } from 'react-router';

const LIST = /\/resources\/([^/]+)\/?$/;
const KEPT = /^(filters\.[\w.]+|sortBy|direction|page|perPage)$/;

const ListMemory = () => {
  const location = useLocation();
  useEffect(() => {
    const list = LIST.exec(location.pathname);
    if (!list) return;
    const kept = new window.URLSearchParams();
    for (const [key, value] of new window.URLSearchParams(location.search))
      if (KEPT.test(key)) kept.append(key, value);
    const root = location.pathname.slice(0, list.index) || '/';
    // A session cookie for the admin's paths only; it holds nothing but the list's own query string.
    document.cookie = `tandem_list_${list[1]}=${encodeURIComponent(kept.toString())}; path=${root}; SameSite=Strict`;
  }, [location.pathname, location.search]);
  return <div data-css="sidebar-footer" />;
};

export default ListMemory;
