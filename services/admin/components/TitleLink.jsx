// A list cell (overrides AdminJS's DefaultListProperty). The record's title (a product's name) is a
// real link to its page: AdminJS opens a record only by a click on its row, which a keyboard cannot
// reach. Every other cell is AdminJS's own.
import React from 'react';
import { Link } from 'react-router-dom';
import { ViewHelpers } from 'adminjs';

const h = new ViewHelpers();

const TitleLink = (props) => {
  const { property, record, resource, OriginalComponent } = props;
  const value = record.params[property.propertyPath];
  const opens = record.recordActions.find((action) => action.name === 'show' || action.name === 'edit');
  if (!property.isTitle || !opens || value === undefined || value === null)
    return <OriginalComponent {...props} />;
  const to = h.recordActionUrl({ resourceId: resource.id, recordId: record.id, actionName: opens.name });
  return (
    <Link to={to} data-testid="record-link">
      {String(value)}
    </Link>
  );
};

export default TitleLink;
