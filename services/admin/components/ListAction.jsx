// The list page of every resource (overrides AdminJS's DefaultListAction): the same records table,
// with a search box, the active filters as chips and a page-size choice above it (ListToolbar.jsx,
// FilterChips.jsx), named pagination below it (ListPagination.jsx), and compact rows: a cell keeps its
// words and ids whole (no mid-word breaks; a long text ends in "…"), so about 25 rows fit at 1400×900.
import React, { useEffect, useRef } from 'react';
import { Box } from '@adminjs/design-system';
import { styled } from '@adminjs/design-system/styled-components';
import { useLocation } from 'react-router';
import { RecordsTable, useRecords, useSelectedRecords } from 'adminjs';
import FilterChips from './FilterChips.jsx';
import ListPagination from './ListPagination.jsx';
import ListToolbar from './ListToolbar.jsx';
import { formatCount, useListParams } from './list-params.jsx';

const Compact = styled(Box)`
  & table td,
  & table th {
    padding: 2px 8px;
    line-height: 18px;
    height: auto;
    white-space: nowrap;
    word-break: normal;
    overflow-wrap: normal;
  }
  & table td[data-property-name] {
    max-width: 320px;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  & table td .adminjs_Badge {
    padding-top: 0;
    padding-bottom: 0;
    line-height: 16px;
  }
  & table td .adminjs_Checkbox a {
    width: 16px;
    height: 16px;
  }
  & table td a,
  & table td.options a {
    padding-top: 0;
    padding-bottom: 0;
    height: auto;
    min-height: 0;
    line-height: 18px;
  }
`;

const perPageKey = (resourceId) => `tandem_per_page_${resourceId}`;

/**
 * The chosen page size outlives a page whose link lacks it (AdminJS's filter drawer rebuilds the
 * query string without perPage): it is kept for the browser tab and put back.
 */
function useRememberedPageSize(resourceId) {
  const [params, change] = useListParams();
  const inUrl = params.get('perPage');
  useEffect(() => {
    if (inUrl) window.sessionStorage.setItem(perPageKey(resourceId), inUrl);
    else {
      const kept = window.sessionStorage.getItem(perPageKey(resourceId));
      if (kept) change({ perPage: kept }, { keepPage: true });
    }
  }, [resourceId, inUrl]);
}

/**
 * Whether the list's records have arrived since this resource's list was shown (issue 16 item 5: the
 * badge said "List 0" right after a create, the list's first request still running). useRecords starts
 * at records [] and total 0 and replaces `records` with each answer, so a new array is an answer.
 * Watching `loading` go true then false missed answers that arrived before React rendered the `true`
 * (a busy machine): both updates became one render and the badge stayed hidden.
 */
function useAnswered(resourceId, records) {
  const shown = useRef({ resourceId, records });
  if (shown.current.resourceId !== resourceId) shown.current = { resourceId, records };
  return records !== shown.current.records;
}

const ListAction = ({ resource, setTag }) => {
  const { records, loading, direction, sortBy, page, total, fetchData, perPage } = useRecords(resource.id);
  const { selectedRecords, handleSelect, handleSelectAll, setSelectedRecords } = useSelectedRecords(records);
  useRememberedPageSize(resource.id);
  const answered = useAnswered(resource.id, records);
  useEffect(() => {
    // No badge until the count is known ('' hides it): never a 0, nor another list's count.
    if (setTag) setTag(answered ? formatCount(total) : '');
  }, [total, answered]);
  const location = useLocation();
  useEffect(() => setSelectedRecords([]), [resource.id]);
  // As AdminJS's list: a refreshed list starts unselected; ?recordIds=1,2 selects those rows.
  useEffect(() => {
    const search = new window.URLSearchParams(location.search);
    const ids = search.get('refresh') ? [] : (search.get('recordIds')?.split(',') ?? []);
    setSelectedRecords(records.filter((record) => ids.includes(String(record.id))));
  }, [location.search, records]);
  const searchable = resource.filterProperties.some((property) => property.propertyPath === 'q');
  return (
    <Compact variant="container" py="lg" data-css={`${resource.id}-list-table-wrapper`}>
      <ListToolbar resource={resource} total={total} perPage={perPage} searchable={searchable} />
      <FilterChips resource={resource} />
      <RecordsTable
        resource={resource}
        records={records}
        actionPerformed={() => fetchData()}
        onSelect={handleSelect}
        onSelectAll={handleSelectAll}
        selectedRecords={selectedRecords}
        direction={direction}
        sortBy={sortBy}
        isLoading={loading}
      />
      <ListPagination page={page} perPage={perPage} total={total} />
    </Compact>
  );
};

export default ListAction;
