/**
 * The deployment files cannot be run here (no Docker engine, no cluster), so they are checked as far as
 * a machine without either can: Kubernetes manifests against the API schemas, the compose file's
 * references against the repository, and the nginx config with `nginx -t`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Service, ConfigMap, Secret } from 'kubernetes-models/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { renderFastUpstreamConfig, NGINX_BINARY } from '../support/nginx.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const infra = path.join(repo, 'infra');

const validators: Record<string, (manifest: Record<string, unknown>) => { validate(): void }> = {
  Deployment: (m) => new Deployment(m as never),
  Service: (m) => new Service(m as never),
  ConfigMap: (m) => new ConfigMap(m as never),
  Secret: (m) => new Secret(m as never),
  Job: (m) => new Job(m as never),
  HorizontalPodAutoscaler: (m) => new HorizontalPodAutoscaler(m as never),
};

test('every Kubernetes manifest validates against its API schema', () => {
  const kinds = new Set<string>();
  for (const file of readdirSync(path.join(infra, 'k8s')).filter((name) => name.endsWith('.yaml'))) {
    for (const document of parseAllDocuments(readFileSync(path.join(infra, 'k8s', file), 'utf8'))) {
      assert.deepEqual(document.errors, [], file);
      const manifest = document.toJS() as Record<string, unknown> & { kind: string };
      const validator = validators[manifest.kind];
      assert.ok(validator, `${file}: no validator for kind ${manifest.kind}`);
      assert.doesNotThrow(() => validator(manifest).validate(), `${file}: ${manifest.kind}`);
      kinds.add(manifest.kind);
    }
  }
  for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'ConfigMap', 'Secret']) {
    assert.ok(kinds.has(kind), `infra/k8s has a ${kind}`);
  }
});

test('fast pods are probed on /healthz and autoscaled', () => {
  const documents = parseAllDocuments(readFileSync(path.join(infra, 'k8s', 'fast.yaml'), 'utf8')).map(
    (document) => document.toJS() as { kind: string; spec: Record<string, never> },
  );
  const deployment = documents.find((d) => d.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: { readinessProbe: { httpGet: { path: string } } }[] } } };
  };
  assert.equal(deployment.spec.template.spec.containers[0]?.readinessProbe.httpGet.path, '/healthz');
  assert.ok(documents.some((d) => d.kind === 'HorizontalPodAutoscaler'));
});

test('compose services build existing Dockerfile targets and mount existing files', () => {
  const compose = parse(readFileSync(path.join(infra, 'compose.yaml'), 'utf8')) as {
    services: Record<
      string,
      { build?: { dockerfile: string; target?: string }; volumes?: string[]; image?: string }
    >;
  };
  const dockerfile = readFileSync(path.join(infra, 'docker', 'Dockerfile'), 'utf8');
  const targets = new Set([...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((match) => match[1]));
  for (const name of ['postgres', 'redis', 'admin', 'auth', 'relay', 'fast', 'nginx']) {
    assert.ok(compose.services[name], `compose has ${name}`);
  }
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.build?.target)
      assert.ok(targets.has(service.build.target), `${name}: target ${service.build.target}`);
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (source.startsWith('.'))
        assert.ok(existsSync(path.join(infra, source)), `${name}: ${source} exists`);
    }
  }
  assert.match(dockerfile, /^USER node$/m, 'runtime runs as non-root');
  assert.match(dockerfile, /HEALTHCHECK/);
});

test(
  'the nginx configuration is accepted by nginx -t',
  { skip: !existsSync(NGINX_BINARY) && 'nginx is not installed (apt-get install nginx-light)' },
  () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tandem-nginx-t-'));
    const conf = path.join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      renderFastUpstreamConfig({ dir, listenPort: 18080, upstreams: ['127.0.0.1:18081', '127.0.0.1:18082'] }),
    );
    execFileSync(NGINX_BINARY, ['-t', '-q', '-c', conf, '-p', dir], { stdio: 'pipe' });
  },
);
