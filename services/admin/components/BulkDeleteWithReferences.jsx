// The bulk delete drawer of a model that other rows may refer to (categories and their products, users
// and their orders). Before anything is confirmed it asks the server (the action's GET,
// src/actions/delete-with-references.ts) which selected records are still used, and lists them with
// what uses them ("3 orders use this user: #1001, #1002, #1003 and 9 more", a link to them); the button
// deletes only the others. A POST refused all the same (a row was added meanwhile) deletes nothing and
// the drawer then lists the records that stopped it; after a delete, the notice names the ones kept.
import React, { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Box, Button, DrawerContent, DrawerFooter, Loader, MessageBox, Text } from '@adminjs/design-system';
import { ApiClient } from 'adminjs';
import { useActionOutcome } from './action-outcome.jsx';
import { useRowNoun } from './list-params.jsx';

/** "#1001, #1002, #1003 and 9 more": the first rows that use a record, by name. */
const namedRows = (reference) => {
  const names = reference.names || [];
  if (names.length === 0) return '';
  const more = reference.count - names.length;
  return `${names.join(', ')}${more > 0 ? ` and ${more.toLocaleString('en')} more` : ''}`;
};

const quoted = (records) => records.map((record) => `“${record.title}”`).join(', ');

const BlockedList = ({ blocked }) => (
  <Box as="ul" style={{ listStyle: 'none', padding: 0 }} data-testid="bulk-delete-blocked">
    {blocked.map((record) => (
      <Box as="li" key={record.id} mt="default" data-testid={`bulk-delete-blocked-${record.id}`}>
        <Text fontWeight="bold">{record.title}</Text>
        {record.references.map((reference) => (
          <Text key={`${reference.model}.${reference.field}`} data-testid="bulk-delete-blocked-by">
            {reference.message.replace(/\.$/, '')}
            {reference.names && reference.names.length > 0 ? `: ${namedRows(reference)}.` : '.'}{' '}
            {reference.listUrl ? <Link to={reference.listUrl}>Show them</Link> : null}
          </Text>
        ))}
      </Box>
    ))}
  </Box>
);

const BulkDeleteWithReferences = ({ resource, records, action }) => {
  const noun = useRowNoun(resource);
  const [blocked, setBlocked] = useState(null);
  const [refused, setRefused] = useState(false);
  const [loading, setLoading] = useState(false);
  const { addNotice, followRedirect, failed } = useActionOutcome(setLoading);
  const selected = records || [];
  const request = (method, ids) =>
    new ApiClient().bulkAction({ resourceId: resource.id, actionName: action.name, recordIds: ids, method });

  useEffect(() => {
    setBlocked(null);
    setRefused(false);
    if (selected.length === 0) return;
    request(
      'get',
      selected.map((record) => record.id),
    )
      .then((response) => setBlocked(response.data.blocked || []))
      .catch(() => addNotice({ message: 'Could not check what refers to these records.', type: 'error' }));
  }, [selected.map((record) => record.id).join(',')]);

  if (selected.length === 0) return <MessageBox message="Select some records first." variant="info" />;
  if (blocked === null) return <Loader />;
  const blockedIds = new Set(blocked.map((record) => String(record.id)));
  const deletable = selected.filter((record) => !blockedIds.has(String(record.id)));
  const kept = selected.filter((record) => blockedIds.has(String(record.id)));

  const confirm = () => {
    setLoading(true);
    request(
      'post',
      deletable.map((record) => record.id),
    )
      .then((response) => {
        setLoading(false);
        if (response.data.blocked && response.data.blocked.length > 0) {
          // Refused whole: something started to use one of them since the drawer opened.
          setBlocked(response.data.blocked);
          setRefused(true);
          if (response.data.notice) addNotice(response.data.notice);
          return;
        }
        addNotice(
          kept.length === 0
            ? response.data.notice
            : {
                message: `Deleted ${deletable.length.toLocaleString('en')} of the ${selected.length.toLocaleString('en')} selected ${noun}. Not deleted, still in use: ${quoted(kept)}.`,
                type: 'success',
              },
        );
        followRedirect(response);
      })
      .catch(failed('The delete failed; nothing was deleted.'));
  };

  return (
    <>
      <DrawerContent data-testid="bulk-delete-with-references">
        {refused ? (
          <Box data-testid="bulk-delete-refused">
            <MessageBox variant="danger" mb="lg" message="Nothing was deleted: some are in use now" />
          </Box>
        ) : null}
        {kept.length > 0 ? (
          <Box data-testid="bulk-delete-summary">
            <MessageBox
              variant="danger"
              mb="lg"
              message={`${kept.length.toLocaleString('en')} of the ${selected.length.toLocaleString('en')} selected ${noun} cannot be deleted yet: other records use them`}
            >
              <BlockedList blocked={blocked} />
              <Text mt="default">Move those elsewhere or delete them first.</Text>
            </MessageBox>
          </Box>
        ) : null}
        {deletable.length > 0 ? (
          <Box data-testid="bulk-delete-question">
            <Text mb="default">
              Delete {deletable.length === selected.length ? 'all' : 'the other'}{' '}
              {deletable.length.toLocaleString('en')}? Nothing refers to{' '}
              {deletable.length === 1 ? 'it' : 'them'}. This cannot be undone.
            </Text>
            <Box as="ul" pl="xl">
              {deletable.map((record) => (
                <li key={record.id}>{record.title}</li>
              ))}
            </Box>
          </Box>
        ) : (
          <Text data-testid="bulk-delete-none">None of the selected {noun} can be deleted.</Text>
        )}
      </DrawerContent>
      <DrawerFooter>
        <Box>
          {deletable.length > 0 ? (
            <Button
              variant="contained"
              color="danger"
              onClick={confirm}
              disabled={loading}
              data-testid="bulk-delete-confirm"
            >
              {deletable.length === selected.length
                ? `Delete ${deletable.length.toLocaleString('en')}`
                : `Delete the other ${deletable.length.toLocaleString('en')}`}
            </Button>
          ) : null}
        </Box>
      </DrawerFooter>
    </>
  );
};

export default BulkDeleteWithReferences;
