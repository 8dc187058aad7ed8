/**
 * The deployment files, checked without an engine or a cluster: Kubernetes manifests against the API
 * schemas; the manifests, the compose file and the Dockerfile against the code (the settings
 * @tandem/config reads and accepts, its default ports, the Dockerfile's targets as the one source of
 * image names, and probe paths the running services answer); the nginx config with `nginx -t` and in
 * front of an echo server (what reaches fast for a write); the applier beside fast wherever fast takes
 * writes (the same queue, after migrations, time to finish a batch on SIGTERM). The
 * Dockerfile and compose file are also built and run for real by containers.test.ts (infra/test.sh).
 */
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Service, ConfigMap, Secret } from 'kubernetes-models/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { loadConfig, NODE_FLAGS, SETTING_NAMES } from '@tandem/config';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import { renderFastUpstreamConfig, NGINX_BINARY, startNginx } from '../support/nginx.js';
import { startAdminProcess } from '../support/admin-process.js';
import type { ServiceProcess } from '../support/service-process.js';
import { startTokenServices } from '../support/token-services.js';
import {
  composeServices,
  dockerfileTargets,
  imageOf,
  kubernetesManifests,
  substituteComposeVariables,
  type ComposeService,
  type DockerfileTarget,
  type KubernetesManifest,
} from '../support/deployment-files.js';

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
  for (const name of ['postgres', 'redis', 'admin', 'auth', 'relay', 'applier', 'fast', 'nginx']) {
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

test('the container round trip builds every compose image on the host network, and changes nothing else', () => {
  // A built service missing here would be built on the default bridge again: every RUN step would add
  // and remove a network interface, and Chromium, running the browser tests beside the build in CI,
  // fails its requests in flight at each one (infra/test/compose.host-network-build.yaml).
  const overlay = parse(
    readFileSync(path.join(infra, 'test', 'compose.host-network-build.yaml'), 'utf8'),
  ) as { services: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  assert.deepEqual(Object.keys(overlay), ['services'], 'the overlay sets services only');
  const built = BUILT(composeServices()).map(([name]) => name);
  assert.deepEqual(Object.keys(overlay.services).sort(), [...built].sort(), 'one entry per built service');
  for (const [name, service] of Object.entries(overlay.services))
    assert.deepEqual(service, { build: { network: 'host' } }, `${name}: only its build's network`);
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

test(
  'nginx passes writes on with the headers the write path reads, and waits longer than a write may',
  { skip: !existsSync(NGINX_BINARY) && 'nginx is not installed (apt-get install nginx-light)' },
  async () => {
    // An upstream that answers every request with what reached it.
    const upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => res.end(JSON.stringify({ method: req.method, headers: req.headers, body })));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    const nginx = await startNginx([`127.0.0.1:${port}`]);
    try {
      const sent = {
        authorization: 'Bearer a-token',
        prefer: 'wait=10',
        'idempotency-key': 'order-1',
        'if-match': '"an-etag"',
        'x-not-forwarded': 'dropped',
      };
      for (const [method, type] of [
        ['POST', 'application/json'],
        ['PATCH', 'application/merge-patch+json'],
      ] as const) {
        const body = '{"lines":[{"productId":1,"quantity":2}]}';
        const response = await fetch(`${nginx.url}/v1/orders`, {
          method,
          headers: { ...sent, 'content-type': type },
          body,
        });
        const seen = (await response.json()) as {
          method: string;
          headers: Record<string, string>;
          body: string;
        };
        assert.equal(seen.method, method);
        assert.equal(seen.body, body);
        assert.equal(seen.headers['content-length'], String(body.length));
        assert.equal(seen.headers['content-type'], type, `${method}: Content-Type`);
        for (const name of ['authorization', 'prefer', 'idempotency-key', 'if-match'] as const)
          assert.equal(seen.headers[name], sent[name], `${method}: ${name}`);
        assert.equal(seen.headers['x-not-forwarded'], undefined, 'only the headers fast reads');
      }
      const removed = await fetch(`${nginx.url}/v1/orders/1`, { method: 'DELETE', headers: sent });
      assert.equal(((await removed.json()) as { method: string }).method, 'DELETE');
      const read = await fetch(`${nginx.url}/v1/orders/1`, { headers: sent });
      const seen = (await read.json()) as { headers: Record<string, string> };
      assert.equal(seen.headers.authorization, sent.authorization, 'GETs keep their own location');
      assert.equal(seen.headers.prefer, undefined);
    } finally {
      nginx.process.kill('SIGQUIT');
      upstream.close();
    }
    // `Prefer: wait=N` is answered after up to WRITE_WAIT_MAX_SECONDS: nginx must not time out first.
    const write = /location @write \{([^}]*)\}/.exec(
      readFileSync(path.join(infra, 'nginx', 'tandem-fast.conf'), 'utf8'),
    )?.[1];
    const timeout = Number(/proxy_read_timeout (\d+)s;/.exec(write ?? '')?.[1]);
    assert.ok(timeout > loadConfig({}, tmpdir()).writes.waitMaxSeconds, `proxy_read_timeout ${timeout}s`);
  },
);

// ---- The deployment files against the code: one source for image names, ports, settings and probes.

const PORTED_SERVICES = ['admin', 'auth', 'fast'] as const;
/** The compose services built from the Dockerfile (postgres, redis and nginx use public images). */
const BUILT = (services: Record<string, ComposeService>) =>
  Object.entries(services).filter(([, service]) => service.build);
const deployments = () =>
  kubernetesManifests()
    .map(({ file, manifest }) => ({ file, manifest }))
    .filter(({ manifest }) => manifest.spec?.template);
const containersOf = (manifest: KubernetesManifest) => manifest.spec!.template!.spec.containers;
/** Dockerfile target of an image `tandem-<target>:<tag>`, or undefined. */
const targetOfImage = (image: string, targets: Map<string, DockerfileTarget>) =>
  [...targets.keys()].find((target) => image.split(':')[0] === imageOf(target));

test('the Dockerfile exposes, health-checks and runs as the code expects', () => {
  const targets = dockerfileTargets();
  const defaults = loadConfig({}, tmpdir());
  for (const service of PORTED_SERVICES) {
    const target = targets.get(service);
    assert.ok(target, `a ${service} target`);
    assert.deepEqual(target.exposes, [defaults.ports[service]], `${service} exposes its default port`);
    assert.ok(target.health, `${service} has a HEALTHCHECK`);
    assert.equal(target.health.url.pathname, '/healthz');
    assert.equal(Number(target.health.url.port), defaults.ports[service], `${service} checks its own port`);
    assert.equal(target.health.portVariable, `${service.toUpperCase()}_PORT`);
    assert.ok(SETTING_NAMES.includes(target.health.portVariable));
  }
  for (const name of ['admin', 'auth', 'fast', 'relay', 'applier', 'cli']) {
    const target = targets.get(name);
    assert.ok(target, `a ${name} target`);
    assert.equal(target.user, 'node', `${name} runs as the unprivileged node user`);
    for (const variable of Object.keys(target.env))
      assert.ok(SETTING_NAMES.includes(variable), `${name}: ENV ${variable} is a setting Tandem reads`);
  }
});

test('the build stage copies every workspace manifest before npm ci (else npm ci fails in the image)', () => {
  const dockerfile = readFileSync(path.join(infra, 'docker', 'Dockerfile'), 'utf8');
  const beforeInstall = dockerfile.slice(0, dockerfile.indexOf('RUN npm ci'));
  const copied = [...beforeInstall.matchAll(/^COPY (\S+)\/package\.json \1\/$/gm)].map((match) => match[1]);
  const { workspaces } = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  const manifests = workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(path.join(repo, pattern.slice(0, -2)))
          .map((name) => `${pattern.slice(0, -2)}/${name}`)
          .filter((dir) => existsSync(path.join(repo, dir, 'package.json')))
      : [pattern],
  );
  assert.deepEqual(copied.sort(), manifests.sort());
});

test('compose builds Dockerfile targets into the images the manifests name, and sets only real settings', () => {
  const targets = dockerfileTargets();
  const services = composeServices();
  const given = (name: string) =>
    name === 'TANDEM_SECRET_KEY' ? 'a-secret-key-of-at-least-32-characters-0123' : `${name}-value`;
  for (const [name, service] of BUILT(services)) {
    const target = service.build!.target;
    assert.ok(target && targets.has(target), `${name}: builds an existing target (${target})`);
    assert.equal(service.image, imageOf(target), `${name}: tags its image as the manifests name it`);
    const environment = Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([key, value]) => [
        key,
        substituteComposeVariables(String(value), given),
      ]),
    );
    for (const variable of Object.keys(environment))
      assert.ok(SETTING_NAMES.includes(variable), `${name}: ${variable} is a setting Tandem reads`);
    assert.doesNotThrow(() => loadConfig(environment, tmpdir()), `${name}: its environment is accepted`);
    for (const published of service.ports ?? []) {
      const containerPort = Number(published.split(':').at(-1));
      assert.ok(targets.get(target)!.exposes.includes(containerPort), `${name}: publishes an exposed port`);
    }
  }
  const jwks = new URL(services.fast!.environment!.JWKS_URL!);
  assert.equal(jwks.hostname, 'auth', 'fast reaches auth by its compose service name');
  assert.equal(Number(jwks.port), loadConfig({}, tmpdir()).ports.auth);
});

test('Kubernetes containers run Dockerfile images on their exposed ports, with settings Tandem accepts', () => {
  const targets = dockerfileTargets();
  const manifests = kubernetesManifests().map(({ manifest }) => manifest);
  const byName = (kind: string, name: string) =>
    manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  const checked = new Set<string>();
  for (const { file, manifest } of deployments())
    for (const container of containersOf(manifest)) {
      const target = targetOfImage(container.image, targets);
      assert.ok(target, `${file}: ${container.image} is built from a Dockerfile target`);
      checked.add(target);
      const exposed = targets.get(target)!.exposes;
      assert.deepEqual(
        (container.ports ?? []).map((port) => port.containerPort),
        exposed,
        `${file}: container ports are what ${target} exposes`,
      );
      const environment: Record<string, string> = {};
      for (const source of container.envFrom ?? []) {
        const ref = source.configMapRef ?? source.secretRef;
        const found = ref && byName(source.configMapRef ? 'ConfigMap' : 'Secret', ref.name);
        assert.ok(found, `${file}: ${ref?.name} exists in infra/k8s`);
        Object.assign(environment, found.data, found.stringData);
      }
      for (const variable of Object.keys(environment))
        assert.ok(SETTING_NAMES.includes(variable), `${file}: ${variable} is a setting Tandem reads`);
      // The example Secret's key is a placeholder Tandem refuses on purpose (config.test.ts): the
      // operator generates one. Everything else is taken as the manifests give it.
      if (environment.TANDEM_SECRET_KEY !== undefined)
        environment.TANDEM_SECRET_KEY = randomBytes(48).toString('base64');
      assert.doesNotThrow(() => loadConfig(environment, tmpdir()), `${file}: its environment is accepted`);
    }
  for (const target of ['admin', 'auth', 'fast', 'relay', 'applier', 'cli'])
    assert.ok(checked.has(target), `a manifest runs ${imageOf(target)}`);

  for (const service of manifests.filter((manifest) => manifest.kind === 'Service')) {
    const deployment = byName('Deployment', service.metadata.name);
    assert.ok(deployment, `Service ${service.metadata.name} fronts a Deployment of the same name`);
    const portNames = containersOf(deployment).flatMap((c) => (c.ports ?? []).map((port) => port.name));
    for (const port of service.spec!.ports!) assert.ok(portNames.includes(String(port.targetPort)));
  }
  // The issuer and JWKS URLs name the auth Service and its port.
  const config = byName('ConfigMap', 'tandem-config')!.data!;
  const authService = byName('Service', 'tandem-auth')!;
  for (const variable of ['TOKEN_ISSUER', 'JWKS_URL']) {
    const url = new URL(config[variable]!);
    assert.equal(url.hostname, authService.metadata.name, variable);
    assert.equal(Number(url.port), authService.spec!.ports![0]!.port, variable);
  }
});

// ---- The write path (docs/architecture.md, decisions 15 and 16): fast only queues writes; without an
// applier on the same queue, every write is answered 202 and never applied.

const CLI_BIN = 'packages/cli/bin/tandem.js';
/** The commands `tandem help` lists. */
const cliCommands = () =>
  new Set(
    [
      ...execFileSync(process.execPath, [path.join(repo, CLI_BIN), 'help'], {
        encoding: 'utf8',
      }).matchAll(/^ {2}(\w+) /gm),
    ].map((match) => match[1]),
  );
/** Compose durations as `docker-compose` reads them (`1m30s`, `30s`, `500ms`), in seconds. */
const composeSeconds = (duration: string) => {
  let seconds = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g))
    seconds += Number(amount) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  return seconds;
};

test('the service images start each service with its Node.js flags (@tandem/config NODE_FLAGS)', () => {
  const targets = dockerfileTargets();
  for (const name of ['admin', 'auth', 'fast'] as const)
    assert.deepEqual(
      targets.get(name)?.command,
      ['node', ...NODE_FLAGS[name], `services/${name}/dist/src/main.js`],
      `${name}: CMD`,
    );
});

test('the relay and applier images run CLI commands that exist', () => {
  const targets = dockerfileTargets();
  const commands = cliCommands();
  for (const name of ['relay', 'applier']) {
    const command = targets.get(name)?.command;
    assert.deepEqual(command, ['node', CLI_BIN, name], `${name}: CMD runs \`tandem ${name}\``);
    assert.ok(commands.has(name), `tandem help lists ${name}`);
  }
  assert.ok(existsSync(path.join(repo, CLI_BIN)));
});

test('compose runs the applier on the queue fast writes to, after migrations, and stops it gently', () => {
  const services = composeServices();
  const applier = services.applier;
  assert.ok(applier, 'compose has an applier');
  assert.equal(applier.build?.target, 'applier');
  const fastRedis = services.fast!.environment!.REDIS_URL;
  assert.ok(fastRedis, 'fast queues writes in Redis (REDIS_URL)');
  assert.equal(applier.environment?.REDIS_URL, fastRedis, 'the applier reads the queue fast writes to');
  assert.equal(applier.environment?.DATABASE_URL, services.fast!.environment!.DATABASE_URL);
  assert.equal(
    applier.environment?.TANDEM_SECRET_KEY,
    services.fast!.environment!.TANDEM_SECRET_KEY,
    'the same secret settings as the others',
  );
  assert.deepEqual(applier.depends_on, {
    postgres: { condition: 'service_healthy' },
    redis: { condition: 'service_healthy' },
    migrate: { condition: 'service_completed_successfully' },
  });
  // Every long-running Tandem process comes back after a crash or a host restart.
  for (const [name, service] of BUILT(services))
    if (name !== 'migrate')
      assert.ok(['always', 'unless-stopped'].includes(service.restart ?? ''), `${name}: restart policy`);
  // SIGTERM finishes the batch in hand: longer than docker's default 10 s before SIGKILL.
  assert.ok(composeSeconds(applier.stop_grace_period ?? '0s') >= 30, 'applier: stop_grace_period ≥ 30 s');
});

test('Kubernetes runs appliers with the settings fast has, and gives them time to finish a batch', () => {
  const manifests = kubernetesManifests().map(({ manifest }) => manifest);
  const runs = (target: string) =>
    manifests.find(
      (manifest) =>
        manifest.kind === 'Deployment' &&
        containersOf(manifest).some((c) => c.image.split(':')[0] === imageOf(target)),
    );
  const applier = runs('applier');
  const fast = runs('fast');
  assert.ok(applier, 'a Deployment runs tandem-applier');
  assert.ok((applier.spec!.replicas ?? 1) >= 2, 'two appliers: one can die or roll without stopping writes');
  // Kubernetes' default grace is 30 s; not less, so a batch in hand can commit before SIGKILL.
  assert.ok((applier.spec!.template!.spec.terminationGracePeriodSeconds ?? 30) >= 30);
  const sources = (manifest: KubernetesManifest) =>
    containersOf(manifest).flatMap((c) => (c.envFrom ?? []).map((source) => JSON.stringify(source)));
  assert.deepEqual(sources(applier), sources(fast!), 'the applier reads the ConfigMap and Secret fast reads');
  const config = manifests.find((manifest) => manifest.kind === 'ConfigMap')!.data!;
  assert.ok(config.REDIS_URL, 'REDIS_URL is set for both: the queue is Redis Streams');
});

describe('every probe and health check asks for a path the running service answers', () => {
  let db: MigratedTestDatabase;
  const running: ServiceProcess[] = [];
  const urls: Record<string, string> = {};

  before(async () => {
    db = await createMigratedDatabase();
    const { auth, fast, processes } = await startTokenServices(db.url);
    running.push(...processes);
    const admin = await startAdminProcess(db.url);
    running.push(admin);
    Object.assign(urls, { auth: auth.url, fast: fast.url, admin: new URL(admin.url).origin });
  });
  after(async () => {
    for (const service of running.reverse()) await service.stop();
    await db?.close();
  });

  const answers = async (service: string, pathname: string) => {
    const response = await fetch(`${urls[service]}${pathname}`);
    return response.status;
  };

  it('Kubernetes readiness and liveness probes', async () => {
    const targets = dockerfileTargets();
    for (const { file, manifest } of deployments())
      for (const container of containersOf(manifest)) {
        const target = targetOfImage(container.image, targets)!;
        for (const probe of [container.readinessProbe, container.livenessProbe]) {
          if (!probe) continue;
          const port = probe.httpGet!.port;
          assert.ok(
            (container.ports ?? []).some((p) => p.name === port || p.containerPort === port),
            `${file}: probes a port the container declares`,
          );
          assert.equal(await answers(target, probe.httpGet!.path), 200, `${file}: ${probe.httpGet!.path}`);
        }
      }
  });

  it('Dockerfile HEALTHCHECKs', async () => {
    const targets = dockerfileTargets();
    for (const service of PORTED_SERVICES)
      assert.equal(await answers(service, targets.get(service)!.health!.url.pathname), 200, service);
  });

  it("fast's JWKS_URL in compose and the ConfigMap is where auth's discovery says the keys are", async () => {
    const discovery = (await (await fetch(`${urls.auth}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    const jwksPath = new URL(discovery.jwks_uri).pathname;
    const config = kubernetesManifests().find(({ manifest }) => manifest.kind === 'ConfigMap')!.manifest
      .data!;
    assert.equal(new URL(config.JWKS_URL!).pathname, jwksPath, 'ConfigMap');
    assert.equal(new URL(composeServices().fast!.environment!.JWKS_URL!).pathname, jwksPath, 'compose');
  });
});
