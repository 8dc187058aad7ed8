// Show-page panel: the record's audit entries (newest first) with the field-level diff.
// The data arrives in record.params.history (a JSON string set by the show action's after hook).
import React from 'react';
import { Box, Label, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';

const show = (value) =>
  value === null || value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value);

export const DiffTable = ({ diff }) => (
  <Table data-css="audit-diff">
    <TableHead>
      <TableRow>
        <TableCell>Field</TableCell>
        <TableCell>Before</TableCell>
        <TableCell>After</TableCell>
      </TableRow>
    </TableHead>
    <TableBody>
      {Object.entries(diff || {}).map(([field, change]) => (
        <TableRow key={field}>
          <TableCell>{field}</TableCell>
          <TableCell>{show(change && change.before)}</TableCell>
          <TableCell>{show(change && change.after)}</TableCell>
        </TableRow>
      ))}
    </TableBody>
  </Table>
);

const History = ({ record }) => {
  let entries = [];
  try {
    entries = JSON.parse(record.params.history || '[]');
  } catch {
    entries = [];
  }
  return (
    <Box mb="xl" data-testid="history">
      <Label>History</Label>
      {entries.length === 0 ? <Text>No changes recorded yet.</Text> : null}
      {entries.map((entry) => (
        <Box key={entry.id} mb="lg" data-testid="history-entry">
          <Text mb="sm">
            <strong>{entry.action}</strong> by {entry.actorEmail || 'unknown'} at{' '}
            {new Date(entry.createdAt).toLocaleString()}
          </Text>
          <DiffTable diff={entry.diff} />
        </Box>
      ))}
    </Box>
  );
};

export default History;
