// One message per outcome: AdminJS stacks every notice (three failed saves in a row showed three
// toasts, the oldest already stale). This override of its NoticeBox keeps only the newest notice and
// drops the ones before it, then renders AdminJS's own box (its timer and close button unchanged).
import React, { useEffect } from 'react';
import { useDispatch, useSelector } from 'react-redux';

// AdminJS's action type for removing a notice (adminjs/lib/frontend/store/actions/drop-notice.js).
const DROP_NOTICE = 'DROP_NOTICE';

const LatestNotice = ({ OriginalComponent, ...props }) => {
  const notices = useSelector((state) => state.notices);
  const dispatch = useDispatch();
  useEffect(() => {
    for (const notice of notices.slice(0, -1)) dispatch({ type: DROP_NOTICE, data: { noticeId: notice.id } });
  }, [notices, dispatch]);
  return OriginalComponent ? <OriginalComponent {...props} /> : null;
};

export default LatestNotice;
