/**
 * The source cannot continue from the feed's position (the events after it were trimmed away, or the
 * stream restarted past it): the feed must load a fresh snapshot instead of tailing.
 */
export class PositionLostError extends Error {
  override name = 'PositionLostError';
}
