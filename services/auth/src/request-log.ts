import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@tandem/log';

/** One line per request: method, path, status, time. Never bodies or headers (they hold secrets). */
export function logRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, path: string): void {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const record = {
      method: req.method,
      path,
      status: res.statusCode,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
    };
    if (res.statusCode >= 500) logger.error(record, 'request failed');
    else if (res.statusCode >= 400) logger.info(record, 'request refused');
    else logger.debug(record, 'request');
  });
}
