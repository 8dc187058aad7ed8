// Confirmation drawer for Tandem's bulk actions (publish / unpublish). The change is made by a POST,
// never by the GET that opens this drawer, so a link cannot publish anything.
import React, { useState } from 'react';
import { useNavigate } from 'react-router';
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
import { ApiClient, useNotice } from 'adminjs';

const BulkConfirm = ({ resource, records, action }) => {
  const navigate = useNavigate();
  const addNotice = useNotice();
  const [loading, setLoading] = useState(false);
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
        // The redirect may carry the list's remembered query string (src/actions/list-memory.ts).
        const url = response.data.redirectUrl;
        if (url) navigate(`${url}${url.includes('?') ? '&' : '?'}refresh=true`);
      })
      .catch(() => {
        setLoading(false);
        addNotice({ message: 'The action failed; nothing was changed.', type: 'error' });
      });
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
