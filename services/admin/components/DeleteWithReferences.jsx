// The delete drawer of a model that other rows may refer to (a category and its products). It first
// asks the server what still refers to the record (the action's GET, src/actions/delete-with-references.ts)
// and says so, "12 products use this category", with a link to them, instead of asking "remove?" and
// failing after. Only a record nothing refers to gets the Delete button; the POST deletes it.
import React, { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Box, Button, DrawerContent, DrawerFooter, Loader, MessageBox, Text } from '@adminjs/design-system';
import { ApiClient } from 'adminjs';
import { useActionOutcome } from './action-outcome.jsx';

const DeleteWithReferences = ({ record, resource, action }) => {
  const [references, setReferences] = useState(null);
  const [loading, setLoading] = useState(false);
  const { addNotice, followRedirect, failed } = useActionOutcome(setLoading);
  const request = (method) =>
    new ApiClient().recordAction({
      resourceId: resource.id,
      recordId: record.id,
      actionName: action.name,
      method,
    });

  useEffect(() => {
    setReferences(null);
    request('get')
      .then((response) => setReferences(response.data.references || []))
      .catch(() => addNotice({ message: 'Could not check what refers to this record.', type: 'error' }));
  }, [record.id]);

  const confirm = () => {
    setLoading(true);
    request('post')
      .then((response) => {
        setLoading(false);
        if (response.data.notice) addNotice(response.data.notice);
        if (response.data.references) setReferences(response.data.references);
        followRedirect(response);
      })
      .catch(failed('The delete failed; nothing was deleted.'));
  };

  if (references === null) return <Loader />;
  const blocked = references.length > 0;
  return (
    <>
      <DrawerContent data-testid="delete-with-references">
        {blocked ? (
          <MessageBox variant="danger" mb="lg" message={`"${record.title}" cannot be deleted yet`}>
            {references.map((reference) => (
              <Text key={`${reference.model}.${reference.field}`} mt="sm" data-testid="delete-blocked-by">
                {reference.message} {reference.listUrl ? <Link to={reference.listUrl}>Show them</Link> : null}
              </Text>
            ))}
            <Text mt="sm">Move them elsewhere or delete them first.</Text>
          </MessageBox>
        ) : (
          <Text data-testid="delete-question">
            Delete “{record.title}”? Nothing refers to it. This cannot be undone.
          </Text>
        )}
      </DrawerContent>
      <DrawerFooter>
        <Box>
          {blocked ? null : (
            <Button
              variant="contained"
              color="danger"
              onClick={confirm}
              disabled={loading}
              data-testid="delete-confirm"
            >
              Delete
            </Button>
          )}
        </Box>
      </DrawerFooter>
    </>
  );
};

export default DeleteWithReferences;
