// What a drawer that posts an action (BulkConfirm, BulkDeleteWithReferences, DeleteWithReferences)
// does with the answer, in one place.
import { useNavigate } from 'react-router';
import { useNotice } from 'adminjs';

/**
 * { addNotice, followRedirect, failed }. followRedirect(response) goes where the answer says, with
 * refresh=true so the list reloads (the URL may carry the list's remembered query string:
 * src/actions/list-memory.ts). failed(message) is a `.catch` handler: loading stops, and an error
 * notice says what did not happen.
 */
export function useActionOutcome(setLoading) {
  const navigate = useNavigate();
  const addNotice = useNotice();
  const followRedirect = (response) => {
    const url = response.data.redirectUrl;
    if (url) navigate(`${url}${url.includes('?') ? '&' : '?'}refresh=true`);
  };
  const failed = (message) => () => {
    setLoading(false);
    addNotice({ message, type: 'error' });
  };
  return { addNotice, followRedirect, failed };
}
