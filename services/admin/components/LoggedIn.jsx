// The top bar's user menu (overrides AdminJS's LoggedIn). AdminJS logs out by navigating to the
// logout path with GET; the admin only logs out on a same-origin POST (so a cross-site link or image
// cannot end a session), so "Log out" submits a small POST form instead. "Two-factor sign-in" opens
// the staff member's own two-factor page (src/two-factor-account.ts, a plain server-rendered page).
import React from 'react';
import { Box, CurrentUserNav } from '@adminjs/design-system';
import { useTranslation } from 'adminjs';

const postLogout = (logoutPath) => {
  const form = document.createElement('form');
  form.method = 'post';
  form.action = logoutPath;
  document.body.appendChild(form);
  form.submit();
};

const LoggedIn = ({ session, paths }) => {
  const { translateButton } = useTranslation();
  const dropActions = [
    {
      label: 'Two-factor sign-in',
      onClick: (event) => {
        event.preventDefault();
        window.location.assign(`${paths.rootPath}/account/two-factor`);
      },
      icon: 'Shield',
    },
    {
      label: translateButton('logout'),
      onClick: (event) => {
        event.preventDefault();
        postLogout(paths.logoutPath);
      },
      icon: 'LogOut',
    },
  ];
  return (
    <Box flexShrink={0} data-css="logged-in" data-testid="logged-in">
      <CurrentUserNav
        name={session.email}
        title={session.title}
        avatarUrl={session.avatarUrl}
        dropActions={dropActions}
      />
    </Box>
  );
};

export default LoggedIn;
