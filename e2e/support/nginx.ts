import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, freePort } from '@tandem/models/testing';

export const NGINX_BINARY = '/usr/sbin/nginx';

const fastConf = fileURLToPath(new URL('../../../infra/nginx/tandem-fast.conf', import.meta.url));

/**
 * The repository's nginx config for the fast replicas, with the compose host names replaced by
 * loopback replicas and a standalone http{} wrapper whose temp files stay inside `dir`.
 */
export function renderFastUpstreamConfig(options: {
  dir: string;
  listenPort: number;
  upstreams: string[];
}): string {
  const servers = options.upstreams
    .map((address) => `server ${address} max_fails=1 fail_timeout=10s;`)
    .join('\n    ');
  const tandem = readFileSync(fastConf, 'utf8')
    .replace(/server fast:8002[^;]*;/, servers)
    .replace(/listen 8080;/, `listen 127.0.0.1:${options.listenPort};`);
  const temp = (name: string) => path.join(options.dir, name);
  return `worker_processes 1;
daemon off;
pid ${temp('nginx.pid')};
error_log ${temp('error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
${tandem}
}
`;
}

export interface RunningNginx {
  readonly url: string;
  readonly process: ChildProcess;
}

/**
 * Starts nginx with the repository's fast config in front of `upstreams` (host:port), in a temporary
 * folder, and waits until it answers /healthz. `adjust` may change the rendered config (test-only
 * headers). Stop it with `process.kill('SIGQUIT')`.
 */
export async function startNginx(
  upstreams: string[],
  adjust: (conf: string) => string = (conf) => conf,
): Promise<RunningNginx> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-nginx-'));
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    adjust(renderFastUpstreamConfig({ dir, listenPort: port, upstreams })),
  );
  const child = spawn(NGINX_BINARY, ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await eventually('nginx answers', async () => {
    try {
      return (await fetch(`${url}/healthz`)).ok;
    } catch {
      return false;
    }
  });
  return { url, process: child };
}
