/**
 * Reads the deployment files in infra/ into plain facts (per Dockerfile target: base, exposed port,
 * health check, user, environment; per compose service and Kubernetes container: image, ports, env,
 * probes), so e2e/test/infra-manifests.test.ts can hold them against the code: the settings
 * @tandem/config reads, its default ports, and what the running services answer.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const INFRA_DIR = fileURLToPath(new URL('../../../infra', import.meta.url));

/** The image a Dockerfile target is published as, everywhere (compose `image:`, Kubernetes `image:`). */
export const imageOf = (target: string) => `tandem-${target}`;

export interface DockerfileTarget {
  readonly name: string;
  readonly base: string;
  readonly exposes: number[];
  /** Set in this stage or inherited from the stage it is built on. */
  readonly user: string | undefined;
  readonly env: Record<string, string>;
  /** The URL the HEALTHCHECK gets (http.get), with `process.env.X||N` resolved to N; and X. */
  readonly health: { url: URL; portVariable: string } | undefined;
  /** CMD in its JSON (exec) form, set in this stage or inherited. */
  readonly command: string[] | undefined;
}

/** The stages of infra/docker/Dockerfile by name, each with what it inherits from the stage it is built on. */
export function dockerfileTargets(): Map<string, DockerfileTarget> {
  const text = readFileSync(path.join(INFRA_DIR, 'docker', 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const targets = new Map<string, DockerfileTarget>();
  let current: { -readonly [K in keyof DockerfileTarget]: DockerfileTarget[K] } | undefined;
  for (const line of text.split('\n')) {
    const [instruction = '', ...rest] = line.trim().split(/\s+/);
    const argument = rest.join(' ');
    if (instruction === 'FROM') {
      const [base = '', , name = ''] = rest;
      const parent = targets.get(base);
      current = {
        name,
        base,
        exposes: [...(parent?.exposes ?? [])],
        user: parent?.user,
        env: { ...parent?.env },
        health: parent?.health,
        command: parent?.command,
      };
      targets.set(name, current);
    } else if (!current) continue;
    else if (instruction === 'EXPOSE') current.exposes.push(...rest.map(Number));
    else if (instruction === 'USER') current.user = argument;
    else if (instruction === 'CMD') current.command = JSON.parse(argument) as string[];
    else if (instruction === 'ENV')
      for (const [, key, value] of argument.matchAll(/(\w+)=(\S+)/g)) current.env[key!] = value!;
    else if (instruction === 'HEALTHCHECK') {
      const fetched = /get\('([^']+)'\+\(process\.env\.(\w+)\|\|(\d+)\)\+'([^']+)'[,)]/.exec(argument);
      if (!fetched)
        throw new Error(`HEALTHCHECK of ${current.name} fetches no recognisable URL: ${argument}`);
      const [, origin, portVariable, port, pathname] = fetched;
      current.health = { url: new URL(`${origin}${port}${pathname}`), portVariable: portVariable! };
    }
  }
  return targets;
}

export interface ComposeService {
  readonly image?: string;
  readonly build?: { context: string; dockerfile: string; target?: string };
  readonly environment?: Record<string, string>;
  readonly ports?: string[];
  readonly volumes?: string[];
  readonly healthcheck?: { test: string[] };
  readonly depends_on?: Record<string, { condition: string }>;
  readonly restart?: string;
  /** Compose duration, e.g. `30s`: how long `docker-compose stop` waits after SIGTERM. */
  readonly stop_grace_period?: string;
}

export function composeServices(): Record<string, ComposeService> {
  return (
    // merge: compose's services share their settings through a YAML anchor and `<<` merge keys.
    (
      parse(readFileSync(path.join(INFRA_DIR, 'compose.yaml'), 'utf8'), { merge: true }) as {
        services: Record<string, ComposeService>;
      }
    ).services
  );
}

/** `${NAME:-default}` → default, `${NAME:?message}` → `given` (what compose substitutes when NAME is set). */
export function substituteComposeVariables(value: string, given: (name: string) => string): string {
  return value.replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_match, name: string, fallback?: string) =>
    fallback !== undefined ? fallback : given(name),
  );
}

interface Probe {
  readonly httpGet?: { path: string; port: string | number };
}

export interface KubernetesContainer {
  readonly name: string;
  readonly image: string;
  readonly args?: string[];
  readonly ports?: { name?: string; containerPort: number }[];
  readonly envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
}

export interface KubernetesManifest {
  readonly kind: string;
  readonly metadata: { name: string };
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
  readonly spec?: {
    readonly replicas?: number;
    readonly template?: {
      spec: { containers: KubernetesContainer[]; terminationGracePeriodSeconds?: number };
    };
    readonly ports?: { name?: string; port: number; targetPort: string | number }[];
    readonly selector?: Record<string, string>;
  };
}

/** Every document of every infra/k8s/*.yaml, with the file it came from. */
export function kubernetesManifests(): { file: string; manifest: KubernetesManifest; errors: unknown[] }[] {
  const dir = path.join(INFRA_DIR, 'k8s');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((document) => ({
        file,
        manifest: document.toJS() as KubernetesManifest,
        errors: document.errors,
      })),
    );
}
