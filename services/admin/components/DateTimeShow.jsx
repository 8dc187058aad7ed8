// A date on a show page (overrides AdminJS's DefaultDatetimeShowProperty): its label, then the admin's
// one date format (components/dates.jsx).
import React from 'react';
import { ValueGroup } from '@adminjs/design-system';
import { useTranslation } from 'adminjs';
import { DateTime } from './dates.jsx';

const DateTimeShow = ({ property, record }) => {
  const { translateProperty } = useTranslation();
  return (
    <ValueGroup label={translateProperty(property.label, property.resourceId)}>
      <DateTime value={record.params[property.path]} type={property.type} />
    </ValueGroup>
  );
};

export default DateTimeShow;
