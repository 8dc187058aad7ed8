// An empty list (overrides AdminJS's NoRecords). A search or filter with no hits says so and offers
// to clear them, instead of AdminJS's "Create first record", which reads as if the table were empty.
import React from 'react';
import { Box, Button, InfoBox, Text } from '@adminjs/design-system';
import { SEARCH_KEY, activeFilters, useListParams, useRowNoun } from './list-params.jsx';

const NoRecords = (props) => {
  const { resource, OriginalComponent } = props;
  const [params, change] = useListParams();
  const noun = useRowNoun(resource);
  const filters = activeFilters(params);
  if (filters.length === 0) return <OriginalComponent {...props} />;
  const term = params.get(SEARCH_KEY);
  const others = filters.length - (term ? 1 : 0);
  const title = term
    ? `No ${noun} match '${term}'${others > 0 ? ' with these filters' : ''}`
    : `No ${noun} match these filters`;
  return (
    <InfoBox title={title} illustration="Docs" data-testid="no-records-matching">
      <Text mb="xl">Try other words, or clear the search and filters to see all {noun}.</Text>
      <Box>
        <Button
          type="button"
          variant="outlined"
          onClick={() => change(Object.fromEntries(filters.map(([key]) => [key, null])))}
        >
          Clear search and filters
        </Button>
      </Box>
    </InfoBox>
  );
};

export default NoRecords;
