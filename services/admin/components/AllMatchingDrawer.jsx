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
const MAX_POLL_MS = 8000;

/** What the progress line says of a job ('lost': the server no longer knows it). */
function progressText(job) {
  const done = job.done.toLocaleString('en');
  const total = job.total.toLocaleString('en');
  if (job.state === 'running') return `${done} of ${total} done…`;
  if (job.state === 'done') return `Done: ${done} of ${total}.`;
  // Jobs live in the admin process's memory: a restart forgets them (and ends them between batches).
  if (job.state === 'lost')
    return `The admin no longer knows this job (it was restarted?). ${done} of ${total} were done when last heard of; the batches it committed stay done.`;
  return `Stopped after ${done} of ${total}: ${job.message}`;
}

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

  // A poll that fails says nothing about the job: it runs on the server whether or not this page hears
  // of it. So a failed poll (the admin busy or restarting, the network down for a moment) is said as
  // such and polled again, slower each time; only the server saying it has no such job ends the polling.
  const [missedPolls, setMissedPolls] = useState(0);
  useEffect(() => {
    if (!job || job.state !== 'running') return undefined;
    const timer = window.setTimeout(
      () => {
        call({ params: { job: job.id } }).then(
          (response) => {
            setMissedPolls(0);
            setJob(response.data.job);
          },
          (error) => {
            if (error?.response?.status === 404) {
              setJob({ ...job, state: 'lost' });
              return;
            }
            setMissedPolls((missed) => missed + 1);
          },
        );
      },
      Math.min(POLL_MS * 2 ** missedPolls, MAX_POLL_MS),
    );
    return () => window.clearTimeout(timer);
  }, [job, missedPolls]);

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
            <Text mt="default">{progressText(job)}</Text>
            {job.state === 'running' && missedPolls > 0 && (
              <Text mt="default" role="status" data-testid="all-matching-unheard">
                No answer from the admin about this job; still asking. It runs on the server either way.
              </Text>
            )}
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
