// The top bar's user menu (overrides AdminJS's LoggedIn). AdminJS logs out by navigating to the
// logout path with GET; the admin only logs out on a same-origin POST (so a cross-site link or image
// cannot end a session), so "Log out" submits a small POST form instead.
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
