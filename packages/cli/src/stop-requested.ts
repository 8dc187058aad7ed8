/**
 * Resolves on SIGINT, SIGTERM, or the IPC channel closing (run by `tandem start`, which went away, even
 * by SIGKILL). Call it BEFORE telling the parent "ready": the parent may send SIGTERM the moment it
 * reads that message, and a signal arriving before the listeners exist meets Node's default
 * disposition and kills the process (exit by signal instead of a clean stop; seen in CI under load).
 */
export function stopRequested(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    process.once('disconnect', () => resolve());
  });
}
