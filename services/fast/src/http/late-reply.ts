import type { HttpResponse } from 'uWebSockets.js';
import type { FastMetrics, Route } from '../observability/metrics.js';
import { send, type Reply } from './respond.js';

/**
 * A response answered after the route handler returned (a token still being verified, a body still
 * arriving, the queue's or the database's answer, an outcome awaited). uWebSockets.js requires
 * `onAborted` before the handler returns and forbids touching the response after it fired: every late
 * answer goes through here, which does nothing once the client has gone (counted as aborted), runs
 * corked (one write, one syscall), and answers once.
 */
export class LateReply {
  private aborted = false;
  private answered = false;
  /** Called once if the client goes away first (e.g. to stop waiting for an outcome or a body). */
  onGone: (() => void) | undefined;

  constructor(
    private readonly res: HttpResponse,
    private readonly metrics: FastMetrics,
    private readonly route: Route,
  ) {
    res.onAborted(() => {
      this.aborted = true;
      this.metrics.abortedRequests += 1;
      this.onGone?.();
    });
  }

  /** The client went away, or was answered: nothing more to do for this request. */
  get done(): boolean {
    return this.aborted || this.answered;
  }

  /** Runs `write` corked, unless done; false when it did not run. For answers that are not a Reply. */
  answer(write: () => void): boolean {
    if (this.done) return false;
    this.answered = true;
    this.res.cork(write);
    return true;
  }

  /** Sends `reply` (see `send` for `closeConnection`), unless done; false when it did not. */
  send(reply: Reply, closeConnection = false): boolean {
    return this.answer(() => send(this.res, this.metrics, this.route, reply, closeConnection));
  }
}
