import type { IncomingMessage, ServerResponse } from 'node:http';

/** A handler of one of the GET endpoints (JWKS, discovery, health, metrics); HEAD is answered by it too. */
export type GetRoute = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
