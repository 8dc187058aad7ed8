// A date cell of a list (overrides AdminJS's DefaultDatetimeListProperty, which printed the browser's
// local time without saying so): the admin's one date format, components/dates.jsx.
import React from 'react';
import { DateTime } from './dates.jsx';

const DateTimeList = ({ property, record }) => (
  <DateTime value={record.params[property.path]} type={property.type} />
);

export default DateTimeList;
