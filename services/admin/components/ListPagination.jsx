// The list's pagination: named buttons ("Previous page", "Page 3"), the current page marked for screen
// readers, and "26–50 of 1,234". Replaces the design system's, whose arrow buttons have no name.
import React from 'react';
import { Box, Button, Icon, Text } from '@adminjs/design-system';
import { formatCount, useListParams } from './list-params.jsx';

/** At most 7 page numbers around the current one, always with the first and the last. */
const pagesAround = (page, last) => {
  const from = Math.max(1, Math.min(page - 3, last - 6));
  const pages = Array.from({ length: Math.min(7, last) }, (_, i) => from + i);
  if (pages[0] !== 1) pages[0] = 1;
  if (pages[pages.length - 1] !== last) pages[pages.length - 1] = last;
  return pages;
};

const ListPagination = ({ page, perPage, total }) => {
  const [, change] = useListParams();
  const last = Math.max(1, Math.ceil(total / perPage));
  const go = (to) => change({ page: to === 1 ? null : to }, { keepPage: true });
  const first = total === 0 ? 0 : (page - 1) * perPage + 1;
  const arrow = (label, icon, to, disabled) => (
    <Button
      type="button"
      size="sm"
      variant="text"
      aria-label={label}
      disabled={disabled}
      onClick={() => go(to)}
    >
      <Icon icon={icon} />
    </Button>
  );
  return (
    <Box
      as="nav"
      aria-label="Pagination"
      flex
      flexDirection="row"
      alignItems="center"
      justifyContent="center"
      mt="lg"
    >
      <Text mr="lg" data-testid="list-range">
        {formatCount(first)}–{formatCount(Math.min(page * perPage, total))} of {formatCount(total)}
      </Text>
      {last > 1 && (
        <>
          {arrow('Previous page', 'ChevronLeft', page - 1, page <= 1)}
          {pagesAround(page, last).map((n) => (
            <Button
              key={n}
              type="button"
              size="sm"
              variant={n === page ? 'contained' : 'text'}
              aria-label={`Page ${n}`}
              aria-current={n === page ? 'page' : undefined}
              onClick={() => go(n)}
            >
              {formatCount(n)}
            </Button>
          ))}
          {arrow('Next page', 'ChevronRight', page + 1, page >= last)}
        </>
      )}
    </Box>
  );
};

export default ListPagination;
