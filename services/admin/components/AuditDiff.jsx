// Show page of an audit entry: its diff as a Field / Before / After table (record.params.diffJson).
import React from 'react';
import { Box, Label } from '@adminjs/design-system';
import { DiffTable } from './History.jsx';

const AuditDiff = ({ record }) => {
  let diff = {};
  try {
    diff = JSON.parse(record.params.diffJson || '{}');
  } catch {
    diff = {};
  }
  return (
    <Box mb="xl">
      <Label>Changes</Label>
      <DiffTable diff={diff} />
    </Box>
  );
};

export default AuditDiff;
