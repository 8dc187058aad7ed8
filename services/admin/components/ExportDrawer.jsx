// The list's Export drawer. It opens over the list, so its URL carries the list's query string
// (filters, search, sort); it counts the rows that query selects and links to the streamed download
// of exactly those rows (GET /admin/export/:resourceId, see src/actions/export-route.ts).
import React, { useEffect, useState } from 'react';
import { useLocation } from 'react-router';
import { Box, DrawerContent, H3, MessageBox, Text } from '@adminjs/design-system';
import { ApiClient, ViewHelpers } from 'adminjs';

/** The list's own parameters only: the page and AdminJS's refresh marker do not change the rows. */
function listParams(search) {
  const params = new window.URLSearchParams(search);
  const kept = new window.URLSearchParams();
  for (const [key, value] of params)
    if (key.startsWith('filters.') || key === 'sortBy' || key === 'direction') kept.append(key, value);
  return kept;
}

const FORMATS = [
  { format: 'csv', label: 'Download CSV' },
  { format: 'jsonl', label: 'Download JSON Lines' },
];

const linkStyle = {
  display: 'inline-block',
  marginRight: 12,
  padding: '8px 16px',
  borderRadius: 4,
  background: '#3040D6',
  color: '#fff',
  textDecoration: 'none',
  fontWeight: 600,
};

const ExportDrawer = ({ resource, action }) => {
  const location = useLocation();
  const params = listParams(location.search);
  const query = params.toString();
  const [total, setTotal] = useState(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    new ApiClient()
      .resourceAction({
        resourceId: resource.id,
        actionName: action.name,
        params: Object.fromEntries(params),
      })
      .then((response) => setTotal(response.data.total))
      .catch(() => setFailed(true));
  }, [resource.id, query]);

  const filtered = [...params.keys()].some((key) => key.startsWith('filters.'));
  const h = new ViewHelpers();
  return (
    <DrawerContent>
      <Box data-testid="export-drawer">
        <H3>Export</H3>
        {failed ? (
          <MessageBox variant="danger" message="Could not count the rows to export." />
        ) : (
          <Text mb="lg" data-testid="export-count" aria-live="polite">
            {total === null
              ? 'Counting…'
              : `${total.toLocaleString('en')} ${total === 1 ? 'row' : 'rows'} ${filtered ? 'matching the list’s filters and search' : 'in all'}, in the list’s order, every page.`}
          </Text>
        )}
        <Box mt="lg">
          {FORMATS.map(({ format, label }) => (
            <a
              key={format}
              style={linkStyle}
              data-testid={`export-${format}`}
              href={h.urlBuilder(
                ['export', resource.id],
                `?${new window.URLSearchParams([['format', format], ...params])}`,
              )}
              download
            >
              {label}
            </a>
          ))}
        </Box>
        <Text mt="lg" variant="sm">
          Related records are named (with their ids in a column beside them). Cells that a spreadsheet would
          run as a formula start with a quote.
        </Text>
      </Box>
    </DrawerContent>
  );
};

export default ExportDrawer;
