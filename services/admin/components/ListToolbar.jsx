// Above the list: a search box (the resource's multi-column Search, filters.q) and the page size.
// The search lives in the URL like every other filter, so the list remembers it (ListMemory.jsx).
import React, { useEffect, useState } from 'react';
import { Box, Button, Icon, Input, Label, Text } from '@adminjs/design-system';
import { PAGE_SIZES, SEARCH_KEY, formatCount, useListParams, useRowNoun } from './list-params.jsx';

const ListToolbar = ({ resource, total, perPage, searchable }) => {
  const [params, change] = useListParams();
  const current = params.get(SEARCH_KEY) ?? '';
  const [term, setTerm] = useState(current);
  useEffect(() => setTerm(current), [current]);
  const noun = useRowNoun(resource);
  const submit = (event) => {
    event.preventDefault();
    change({ [SEARCH_KEY]: term.trim() });
  };
  return (
    <Box flex flexDirection="row" alignItems="center" flexWrap="wrap" mb="default" data-testid="list-toolbar">
      {searchable && (
        <Box as="form" role="search" flex flexDirection="row" alignItems="center" onSubmit={submit} mr="xl">
          <Label htmlFor="list-search" mb={0} mr="default">
            Search
          </Label>
          <Input
            id="list-search"
            type="search"
            value={term}
            placeholder={`Search ${noun}`}
            onChange={(event) => setTerm(event.target.value)}
            data-testid="list-search"
            style={{ width: '280px', paddingTop: '4px', paddingBottom: '4px' }}
          />
          <Button type="submit" size="sm" ml="default" variant="outlined">
            <Icon icon="Search" />
            Search
          </Button>
        </Box>
      )}
      <Box flex flexDirection="row" alignItems="center" mr="xl">
        <Label htmlFor="list-page-size" mb={0} mr="default">
          Rows per page
        </Label>
        <select
          id="list-page-size"
          data-testid="list-page-size"
          value={String(perPage)}
          onChange={(event) => change({ perPage: event.target.value })}
        >
          {[...new Set([...PAGE_SIZES, perPage])]
            .sort((a, b) => a - b)
            .map((size) => (
              <option key={size} value={String(size)}>
                {size}
              </option>
            ))}
        </select>
      </Box>
      <Text data-testid="list-total" aria-live="polite">
        {formatCount(total)} {noun}
      </Text>
    </Box>
  );
};

export default ListToolbar;
