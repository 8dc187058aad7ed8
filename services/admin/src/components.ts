import path from 'node:path';
import { ComponentLoader } from 'adminjs';
import { COMPONENTS_DIR } from './paths.js';

/** Tandem's React components; the same loader is used to prebuild the bundle and to serve it. */
export function createComponents() {
  const loader = new ComponentLoader();
  const add = (name: string) => loader.add(name, path.join(COMPONENTS_DIR, `${name}.jsx`));
  // Logout by POST (see components/LoggedIn.jsx and the CSRF rule in src/same-origin.ts).
  loader.override('LoggedIn', path.join(COMPONENTS_DIR, 'LoggedIn.jsx'));
  // The list remembers its filters across save, delete and bulk actions (components/ListMemory.jsx).
  loader.override('SidebarFooter', path.join(COMPONENTS_DIR, 'ListMemory.jsx'));
  // List cells show a list field's values (role names, codenames), not "Length: 2".
  loader.override('DefaultArrayListProperty', path.join(COMPONENTS_DIR, 'ValueList.jsx'));
  // One message per outcome: the newest notice replaces the ones before it (components/LatestNotice.jsx).
  loader.override('NoticeBox', path.join(COMPONENTS_DIR, 'LatestNotice.jsx'));
  // Issue 16, dense data and keyboard use: the list page with a search box, filter chips, page size,
  // named pagination and compact rows; an empty search says so; the title cell links to the record;
  // the login labels are tied to their inputs; keyboard repairs of AdminJS's markup on every page.
  const override = (name: string, file: string) => loader.override(name, path.join(COMPONENTS_DIR, file));
  override('DefaultListAction', 'ListAction.jsx');
  override('NoRecords', 'NoRecords.jsx');
  override('DefaultListProperty', 'TitleLink.jsx');
  override('Login', 'Login.jsx');
  override('Footer', 'KeyboardAccess.jsx');
  // One date format everywhere, in UTC and saying so (components/dates.jsx): list cells and show pages.
  override('DefaultDatetimeListProperty', 'DateTimeList.jsx');
  override('DefaultDatetimeShowProperty', 'DateTimeShow.jsx');
  // ...and the pickers of edit forms and the filter drawer read and write UTC (components/UtcDatePicker.jsx).
  override('DefaultDatetimeEditProperty', 'DateTimeEdit.jsx');
  override('DefaultDatetimeFilterProperty', 'DateTimeFilter.jsx');
  return {
    loader,
    History: add('History'),
    AuditDiff: add('AuditDiff'),
    BulkConfirm: add('BulkConfirm'),
    ChangePassword: add('ChangePassword'),
    Dashboard: add('Dashboard'),
    ExportDrawer: add('ExportDrawer'),
    AllMatchingDrawer: add('AllMatchingDrawer'),
    SaveForm: add('SaveForm'),
    Money: add('Money'),
    PermissionMatrix: add('PermissionMatrix'),
    DeleteWithReferences: add('DeleteWithReferences'),
    BulkDeleteWithReferences: add('BulkDeleteWithReferences'),
  };
}

export type Components = ReturnType<typeof createComponents>;
