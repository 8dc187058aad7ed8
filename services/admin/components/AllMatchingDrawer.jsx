// "All matching": a drawer over the list (so its URL keeps the list's filters, search and sort) that
// runs one of the list's bulk actions on every row the list matches, on all pages, server-side in
// batches (src/actions/all-matching.ts), and shows the progress until it is done.
import React, { useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { Box, Button, DrawerContent, H3, MessageBox, Text } from '@adminjs/design-system';
import { ApiClient, ViewHelpers } from 'adminjs';

/** The list's own parameters (what selects the rows), not its page or AdminJS's refresh marker. */
function listParams(search) {
  const kept = {};
  for (const [key, value] of new window.URLSearchParams(search))
    if (key.startsWith('filters.') || key === 'sortBy' || key === 'direction') kept[key] = value;
  return kept;
}

const POLL_MS = 500;

const AllMatchingDrawer = ({ resource, action }) => {
  const location = useLocation();
  const navigate = useNavigate();
  const params = listParams(location.search);
  const key = JSON.stringify(params);
  const [answer, setAnswer] = useState(null);
  const [job, setJob] = useState(null);
  const [problem, setProblem] = useState(null);
  const api = new ApiClient();
  const call = (options) =>
    api.resourceAction({ resourceId: resource.id, actionName: action.name, ...options });
  const explain = (error) =>
    setProblem(error?.response?.data?.message ?? 'The request failed; nothing was started.');

  useEffect(() => {
    call({ params }).then((response) => setAnswer(response.data), explain);
  }, [resource.id, key]);

  useEffect(() => {
    if (!job || job.state !== 'running') return undefined;
    const timer = window.setTimeout(() => {
      call({ params: { job: job.id } }).then((response) => setJob(response.data.job), explain);
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [job]);

  const start = (operation) => {
    setProblem(null);
    call({ params, data: { operation } }).then((response) => setJob(response.data.job), explain);
  };
  const backToList = () => {
    const search = new window.URLSearchParams({ ...params, refresh: 'true' });
    navigate(`${new ViewHelpers().resourceUrl({ resourceId: resource.id })}?${search}`);
  };

  const total = answer?.total;
  return (
    <DrawerContent>
      <Box data-testid="all-matching-drawer">
        <H3>All matching rows</H3>
        {problem && <MessageBox mb="lg" variant="danger" message={problem} />}
        {total === undefined ? (
          <Text>Counting…</Text>
        ) : (
          <Text mb="lg" data-testid="all-matching-count">
            {`${total.toLocaleString('en')} ${total === 1 ? 'row matches' : 'rows match'} the list’s filters and search, on all pages.`}
          </Text>
        )}
        {job === null ? (
          <Box>
            {(answer?.operations ?? []).map((operation) => (
              <Button
                key={operation.name}
                mr="default"
                mb="default"
                variant={operation.variant === 'danger' ? 'danger' : 'contained'}
                disabled={!total}
                onClick={() => start(operation.name)}
                data-testid={`all-matching-${operation.name}`}
              >
                {`${operation.label} all ${total === undefined ? '' : total.toLocaleString('en')}`}
              </Button>
            ))}
          </Box>
        ) : (
          <Box aria-live="polite" data-testid="all-matching-progress">
            <progress max={Math.max(job.total, job.done, 1)} value={job.done} aria-label="Progress" />
            <Text mt="default">
              {job.state === 'running'
                ? `${job.done.toLocaleString('en')} of ${job.total.toLocaleString('en')} done…`
                : job.state === 'done'
                  ? `Done: ${job.done.toLocaleString('en')} of ${job.total.toLocaleString('en')}.`
                  : `Stopped after ${job.done.toLocaleString('en')} of ${job.total.toLocaleString('en')}: ${job.message}`}
            </Text>
            {job.state !== 'running' && (
              <Button mt="lg" onClick={backToList} data-testid="all-matching-back">
                Back to the list
              </Button>
            )}
          </Box>
        )}
      </Box>
    </DrawerContent>
  );
};

export default AllMatchingDrawer;
