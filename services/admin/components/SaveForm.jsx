// The new and edit forms with Django's three ways to save (replaces AdminJS's New/Edit, which have one):
// "Save" goes back to the list (as the staff member left it, see src/actions/list-memory.ts),
// "Save and continue editing" opens the saved record's edit form, "Save and add another" an empty
// form. A form with errors stays where it is, whichever was pressed.
import React, { useEffect } from 'react';
import { useNavigate } from 'react-router';
import { Box, Button, DrawerContent, DrawerFooter } from '@adminjs/design-system';
import { BasePropertyComponent, ViewHelpers, useRecord } from 'adminjs';

const BLANK = { params: {}, populated: {}, errors: {} };

const withRefresh = (url) => `${url}${url.includes('?') ? '&' : '?'}refresh=true`;

const SaveForm = ({ record: initialRecord, resource, action }) => {
  const { record, handleChange, submit, loading, setRecord } = useRecord(initialRecord, resource.id);
  const navigate = useNavigate();
  const h = new ViewHelpers();

  useEffect(() => {
    if (initialRecord) setRecord(initialRecord);
  }, [initialRecord]);

  const onSubmit = (event) => {
    event.preventDefault();
    const after = event.nativeEvent?.submitter?.value ?? 'list';
    submit().then((response) => {
      const saved = response.data.record;
      if (!saved?.id || Object.keys(saved.errors ?? {}).length > 0) return;
      if (after === 'continue') navigate(withRefresh(h.editUrl(resource.id, saved.id)));
      else if (after === 'another') {
        setRecord(BLANK);
        navigate(withRefresh(h.resourceActionUrl({ resourceId: resource.id, actionName: 'new' })));
      } else if (response.data.redirectUrl) navigate(withRefresh(response.data.redirectUrl));
    });
    return false;
  };

  return (
    <Box
      as="form"
      onSubmit={onSubmit}
      flex
      flexDirection="column"
      data-css={`${resource.id}-${action.name}-form`}
    >
      <DrawerContent>
        {resource.editProperties.map((property) => (
          <BasePropertyComponent
            key={property.propertyPath}
            where="edit"
            onChange={handleChange}
            property={property}
            resource={resource}
            record={record}
          />
        ))}
      </DrawerContent>
      <DrawerFooter>
        <Button
          variant="contained"
          type="submit"
          value="list"
          data-testid="button-save"
          disabled={loading}
          mr="default"
        >
          Save
        </Button>
        <Button
          type="submit"
          value="continue"
          data-testid="button-save-continue"
          disabled={loading}
          mr="default"
        >
          Save and continue editing
        </Button>
        <Button type="submit" value="another" data-testid="button-save-another" disabled={loading}>
          Save and add another
        </Button>
      </DrawerFooter>
    </Box>
  );
};

export default SaveForm;
