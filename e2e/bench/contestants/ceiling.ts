/**
 * The ceiling: a bare uWebSockets.js server answering constant bytes (no auth, no lookup). The harness
 * hands it the exact bytes Tandem serves for a record and for a 100-item list, so the comparison is
 * for the same response size: the physical limit of this stack on this machine.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { announceReady } from './ready.js';

// uWS is CommonJS whose exports are not statically visible to ESM named imports.
const uWS = createRequire(import.meta.url)('uWebSockets.js') as typeof import('uWebSockets.js');

const record = readFileSync(process.env.CEILING_RECORD_FILE ?? '');
const list = readFileSync(process.env.CEILING_LIST_FILE ?? '');
const port = Number(process.env.PORT ?? 0);

uWS
  .App()
  // Any collection (products, orders): the ceiling answers the bytes it was handed, whatever the path.
  .get('/v1/:collection/:id', (res) => {
    res.cork(() => res.writeHeader('content-type', 'application/json').end(record));
  })
  .get('/v1/:collection', (res) => {
    res.cork(() => res.writeHeader('content-type', 'application/json').end(list));
  })
  .listen('127.0.0.1', port, (socket) => {
    if (!socket) throw new Error(`ceiling: cannot listen on ${port}`);
    announceReady('ceiling', `http://127.0.0.1:${uWS.us_socket_local_port(socket)}`);
  });
