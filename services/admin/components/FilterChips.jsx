// The active filters as chips above the list, each removable on its own (the drawer only shows them
// while open). "createdAt~~from" reads "Created from".
import React from 'react';
import { Box, Button, Icon } from '@adminjs/design-system';
import { styled } from '@adminjs/design-system/styled-components';
import { useTranslation } from 'adminjs';
import { SEARCH_KEY, activeFilters, useListParams } from './list-params.jsx';

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

const FilterChips = ({ resource }) => {
  const [params, change] = useListParams();
  const { translateProperty } = useTranslation();
  const filters = activeFilters(params);
  if (filters.length === 0) return null;
  const label = (key) => {
    if (key === SEARCH_KEY) return 'Search';
    const [path, range] = key.slice('filters.'.length).split('~~');
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
      {filters.map(([key, value]) => (
        <Box as="li" key={key} mr="default" mb="sm">
          <Chip data-testid={`filter-chip-${key.slice('filters.'.length)}`}>
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
      ))}
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
