// Confirmation drawer for Tandem's bulk actions (publish / unpublish). The change is made by a POST,
// never by the GET that opens this drawer, so a link cannot publish anything.
import React, { useState } from 'react';
import {
  Box,
  Button,
  DrawerContent,
  DrawerFooter,
  MessageBox,
  Table,
  TableBody,
  TableCell,
  TableRow,
} from '@adminjs/design-system';
import { ApiClient } from 'adminjs';
import { useActionOutcome } from './action-outcome.jsx';

const BulkConfirm = ({ resource, records, action }) => {
  const [loading, setLoading] = useState(false);
  const { addNotice, followRedirect, failed } = useActionOutcome(setLoading);
  if (!records || records.length === 0)
    return <MessageBox message="Select some records first." variant="info" />;

  const confirm = () => {
    setLoading(true);
    new ApiClient()
      .bulkAction({
        resourceId: resource.id,
        actionName: action.name,
        recordIds: records.map((r) => r.id),
        method: 'post',
      })
      .then((response) => {
        setLoading(false);
        if (response.data.notice) addNotice(response.data.notice);
        followRedirect(response);
      })
      .catch(failed('The action failed; nothing was changed.'));
  };

  return (
    <>
      <DrawerContent>
        <MessageBox mb="xl" variant="info" message={`${action.label}: ${records.length} record(s)`} />
        <Table>
          <TableBody>
            {records.map((record) => (
              <TableRow key={record.id}>
                <TableCell>{record.title}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </DrawerContent>
      <DrawerFooter>
        <Box>
          <Button variant="contained" onClick={confirm} disabled={loading} data-testid="bulk-confirm">
            {action.label}
          </Button>
        </Box>
      </DrawerFooter>
    </>
  );
};

export default BulkConfirm;
