// Show page of an audit entry: which record it is about (by name, linked when it still exists) and its
// diff as a Field / Before / After table with labels and related records' names (see History.jsx).
// The audit resource's show hook sets record.params.diffJson, namesJson, moneyJson, recordTitle and
// recordNamed (false: the staff member may not be told the record's name, so it shows as its id).
import React from 'react';
import { Link } from 'react-router-dom';
import { Box, Label, Text } from '@adminjs/design-system';
import { ViewHelpers } from 'adminjs';
import { DiffTable, parseJson } from './History.jsx';

const AuditDiff = ({ record }) => {
  const { model, recordId, recordTitle, recordNamed } = record.params;
  const href = new ViewHelpers().recordActionUrl({ resourceId: model, recordId, actionName: 'show' });
  return (
    <Box mb="xl">
      <Label>Record</Label>
      <Text mb="lg" data-testid="audit-record">
        {recordTitle ? (
          <Link to={href}>{recordTitle}</Link>
        ) : recordNamed === false ? (
          `#${recordId}`
        ) : (
          `#${recordId} (no longer exists)`
        )}
      </Text>
      <Label>Changes</Label>
      <DiffTable
        diff={parseJson(record.params.diffJson, {})}
        model={model}
        names={parseJson(record.params.namesJson, {})}
        currencies={parseJson(record.params.moneyJson, {})}
      />
    </Box>
  );
};

export default AuditDiff;
