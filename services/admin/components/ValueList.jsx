// A list field in a list page's cell (a role's permissions and scopes, a user's roles, a product's
// tags): the values themselves, related records by name, instead of AdminJS's "Length: 2". Long lists
// show the first few and "+N more"; the whole list is in the cell's title.
import React from 'react';
import { flat } from 'adminjs';

const SHOWN = 4;

const ValueList = ({ property, record }) => {
  const values = flat.get(record.params, property.path) || [];
  const names = values.map((value, index) => {
    const populated = property.reference && record.populated && record.populated[`${property.path}.${index}`];
    return populated && populated.title ? populated.title : String(value);
  });
  if (names.length === 0) return <span data-testid={`value-list-${property.path}`}>—</span>;
  const more = names.length - SHOWN;
  return (
    <span data-testid={`value-list-${property.path}`} title={names.join(', ')}>
      {names.slice(0, SHOWN).join(', ')}
      {more > 0 ? ` +${more} more` : ''}
    </span>
  );
};

export default ValueList;
