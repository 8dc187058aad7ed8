// The active filters as chips above the list, each removable on its own (the drawer only shows them
// while open). "createdAt~~from" reads "Created from"; a filter on a related record reads by that
// record's name, "Category: Garden tools" (asked once per change of the filters, one lookup per chip:
// src/actions/filter-titles.ts), a yes/no filter "Yes", an enum its option's label.
import React, { useEffect, useState } from 'react';
import { Box, Button, Icon } from '@adminjs/design-system';
import { styled } from '@adminjs/design-system/styled-components';
import { ApiClient, useTranslation } from 'adminjs';
import { RANGE_SEPARATOR, SEARCH_KEY, activeFilters, useListParams } from './list-params.jsx';
import { formatDate, formatDateTime } from './dates.jsx';

const RANGE = { from: 'from', to: 'to' };

const Chip = styled.span`
  display: inline-flex;
  align-items: center;
  border: 1px solid ${({ theme }) => theme.colors.primary100};
  color: ${({ theme }) => theme.colors.primary100};
  border-radius: 12px;
  padding: 0 2px 0 10px;
  font-size: 12px;
  line-height: 22px;
`;

const Remove = styled.button`
  display: inline-flex;
  align-items: center;
  margin-left: 4px;
  padding: 2px;
  border: 0;
  border-radius: 50%;
  background: none;
  color: inherit;
  cursor: pointer;
  &:hover,
  &:focus-visible {
    background: ${({ theme }) => theme.colors.primary20};
  }
`;

const pathOf = (key) => key.slice('filters.'.length);

/** The names of the records the reference filters point at, by field; {} until (or unless) known. */
function useFilterTitles(resource, filters) {
  const [titles, setTitles] = useState({});
  const references = filters.filter(([key]) => resource.properties[pathOf(key)]?.reference);
  const asked = new window.URLSearchParams(references).toString();
  useEffect(() => {
    setTitles({});
    if (asked === '') return undefined;
    let current = true;
    new ApiClient()
      .resourceAction({
        resourceId: resource.id,
        actionName: 'filterTitles',
        params: new window.URLSearchParams(asked),
      })
      .then((response) => {
        if (current) setTitles(response.data.titles || {});
      })
      // Without names the chips keep the ids: nothing to tell the staff member about.
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [resource.id, asked]);
  return titles;
}

/** A filter's value as a person reads it: a related record's name, Yes/No, an option's label, a date. */
function readableValue(resource, path, value, titles) {
  if (titles[path] !== undefined) return titles[path];
  const property = resource.properties[path.split(RANGE_SEPARATOR)[0]];
  // A date range's ends in the admin's one date format, "2026-12-01 10:00 UTC" (components/dates.jsx).
  if (property?.type === 'datetime') return formatDateTime(value);
  if (property?.type === 'date') return formatDate(value);
  if (property?.type === 'boolean' && (value === 'true' || value === 'false'))
    return value === 'true' ? 'Yes' : 'No';
  const option = property?.availableValues?.find((each) => String(each.value) === value);
  return option ? option.label : value;
}

const FilterChips = ({ resource }) => {
  const [params, change] = useListParams();
  const { translateProperty } = useTranslation();
  const filters = activeFilters(params);
  const titles = useFilterTitles(resource, filters);
  if (filters.length === 0) return null;
  const label = (key) => {
    if (key === SEARCH_KEY) return 'Search';
    const [path, range] = key.slice('filters.'.length).split(RANGE_SEPARATOR);
    const name = translateProperty(path, resource.id);
    return range ? `${name} ${RANGE[range] ?? range}` : name;
  };
  return (
    <Box
      as="ul"
      flex
      flexDirection="row"
      flexWrap="wrap"
      mb="default"
      data-testid="filter-chips"
      style={{ listStyle: 'none', padding: 0 }}
    >
      {filters.map(([key, raw]) => {
        const value = readableValue(resource, pathOf(key), raw, titles);
        return (
          <Box as="li" key={key} mr="default" mb="sm">
            <Chip data-testid={`filter-chip-${pathOf(key)}`}>
              {label(key)}: {value}
              <Remove
                type="button"
                aria-label={`Remove filter ${label(key)}: ${value}`}
                onClick={() => change({ [key]: null })}
              >
                <Icon icon="X" size={14} />
              </Remove>
            </Chip>
          </Box>
        );
      })}
      {filters.length > 1 && (
        <Box as="li">
          <Button
            type="button"
            size="sm"
            variant="text"
            onClick={() => change(Object.fromEntries(filters.map(([key]) => [key, null])))}
          >
            Clear all filters
          </Button>
        </Box>
      )}
    </Box>
  );
};

export default FilterChips;
