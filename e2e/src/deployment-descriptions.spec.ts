/**
 * The deployment descriptions (Dockerfile, docker-compose.yml, deploy/k8s/) are checked by parsing
 * them: no Docker engine or cluster runs here. Each check compares them with the code they run:
 * the services' entry points, the configuration schema (every variable set must be one Modelyard
 * reads, and each process's environment must pass loadConfig), and the ports the processes serve.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ENV_SCHEMA, loadConfig, type AppConfig } from '@modelyard/platform';

const ROOT = resolve(import.meta.dirname, '../..');
const K8S_DIR = 'deploy/k8s';

/** The five processes of the distributed mode, each `services/<name>/src/main.ts`. */
const SERVICES = ['gateway', 'registry', 'ingest', 'inference', 'metrics'] as const;
type ServiceName = (typeof SERVICES)[number];
const BACKING_SERVICES = ['postgres', 'redis', 'kafka', 'minio'] as const;
/** Scaled horizontally: `docker compose up --scale`, and a HorizontalPodAutoscaler in Kubernetes. */
const SCALABLE: readonly ServiceName[] = ['ingest', 'inference'];
/** Settings a process requires beyond the schema (requireSetting calls); the main.ts files are scanned for more. */
const REQUIRED_SETTINGS: Record<string, readonly string[]> = {
  // createPlatform requires the shared master key of every distributed process that handles secrets.
  registry: ['MODELYARD_DATABASE_URL', 'MODELYARD_SECRET_KEY'],
  gateway: ['MODELYARD_ADMIN_TOKEN', 'MODELYARD_SECRET_KEY'],
  ingest: ['MODELYARD_SECRET_KEY'],
  inference: ['MODELYARD_SECRET_KEY'],
  // services/registry/dist/migrate.js falls back to the standalone data folder without it: never wanted here.
  migrate: ['MODELYARD_DATABASE_URL'],
};
const KNOWN_VARIABLES = new Set(Object.keys(ENV_SCHEMA));
/** Stands for a value compose takes from the shell (`${VAR:?...}`): 32 bytes in base64, which passes every check (tokens, keys). */
const DUMMY = Buffer.alloc(32, 7).toString('base64');
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

// ------------------------------------------------------------------------------------------------
// Reading

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const obj = (value: unknown): Obj => (isObj(value) ? value : {});
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const str = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const exists = (path: string) => existsSync(join(ROOT, path));

/** Every YAML document of a file, as plain data; merge keys (`<<: *anchor`) resolved, as compose and kubectl do. */
function yamlDocuments(path: string): { docs: unknown[]; errors: string[] } {
  const parsed = parseAllDocuments(read(path), { merge: true });
  const documents = Array.isArray(parsed) ? parsed : [parsed];
  const errors = documents.flatMap((d) => [...d.errors, ...d.warnings].map((e) => `${path}: ${e.message}`));
  return { docs: errors.length ? [] : documents.map((d) => d.toJS()).filter((d) => d !== null), errors };
}

const compose = obj(parse(read('docker-compose.yml'), { merge: true }));
const composeServices = obj(compose['services']);
const composeService = (name: string) => obj(composeServices[name]);

const k8sFiles = readdirSync(join(ROOT, K8S_DIR)).filter((f) => /\.ya?ml$/.test(f)).sort();
const manifestFiles = k8sFiles.filter((f) => !/^kustomization\.ya?ml$/.test(f));
interface Manifest {
  file: string;
  kind: string;
  name: string;
  doc: Obj;
}
const manifests: Manifest[] = manifestFiles.flatMap((file) =>
  yamlDocuments(`${K8S_DIR}/${file}`).docs.map((d) => ({
    file,
    kind: str(obj(d)['kind']) ?? '',
    name: str(obj(obj(d)['metadata'])['name']) ?? '',
    doc: obj(d),
  })),
);
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const kustomization = obj(
  k8sFiles.includes('kustomization.yaml') ? parse(read(`${K8S_DIR}/kustomization.yaml`)) : undefined,
);

// ------------------------------------------------------------------------------------------------
// What the code says

/** The port a service's health endpoints (or, for the gateway, its HTTP API) listen on. */
function servingPort(service: string, config: AppConfig): number | undefined {
  if (service === 'gateway') return config.http.port;
  if (config.health.port !== undefined) return config.health.port;
  const main = read(`services/${service}/src/main.ts`);
  const match = /runWorkerProcess\(\s*'[\w-]+'\s*,\s*(\d+)/.exec(main) ?? /health\.port\s*\?\?\s*(\d+)/.exec(main);
  return match ? Number(match[1]) : undefined;
}

/** The settings a process must have: the table above plus every requireSetting(..., 'NAME', ...) of its main.ts. */
function requiredSettings(service: string, entry = `services/${service}/src/main.ts`): string[] {
  const scanned = exists(entry)
    ? [...read(entry).matchAll(/requireSetting\([^,]+,\s*'([A-Z0-9_]+)'/g)].map((m) => m[1]!)
    : [];
  return [...new Set([...(REQUIRED_SETTINGS[service] ?? []), ...scanned])];
}

/** The problems of one process's environment: loadConfig's, then the missing required settings. */
function configProblems(where: string, service: string, env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  try {
    loadConfig(env);
  } catch (error) {
    problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const name of requiredSettings(service)) {
    if (!env[name]) problems.push(`${where}: ${name} must be set (the ${service} process requires it)`);
  }
  return problems;
}

/** Only the addresses and ports of an environment, so that a bad URL elsewhere does not fail the port checks too. */
function addressesOf(env: Record<string, string | undefined>): AppConfig {
  const names = ['PORT', 'MODELYARD_HOST', 'MODELYARD_HEALTH_PORT', 'MODELYARD_REGISTRY_HOST', 'MODELYARD_REGISTRY_PORT'];
  return loadConfig(Object.fromEntries(names.map((n) => [n, env[n]])));
}

/** `node services/<dir>/dist/<file>.js` -> the TypeScript source it is built from, or a problem. */
function entryPointProblems(where: string, command: unknown, expected?: string): string[] {
  const words = Array.isArray(command) ? command.map(String) : typeof command === 'string' ? command.split(/\s+/) : [];
  // Node and V8 flags (`--max-semi-space-size=32`) may stand between node and the script.
  const parts = words.filter((word, i) => i === 0 || !/^--[a-z][a-z0-9-]*(=\S+)?$/.test(word));
  const match = parts.length === 2 && parts[0] === 'node' ? /^services\/([\w-]+)\/dist\/([\w-]+)\.js$/.exec(parts[1]!) : null;
  if (!match) return [`${where}: command must be ["node", "services/<service>/dist/<entry>.js"], got ${JSON.stringify(command)}`];
  const [, dir, file] = match;
  const problems: string[] = [];
  if (expected && parts[1] !== expected) problems.push(`${where}: command runs ${parts[1]}, expected ${expected}`);
  if (!exists(`services/${dir}/src/${file}.ts`)) problems.push(`${where}: ${parts[1]} has no source services/${dir}/src/${file}.ts`);
  const built = arr(obj(JSON.parse(read('tsconfig.build.json')))['references']).map((r) => str(obj(r)['path']));
  if (!built.some((p) => p?.replace(/^\.\//, '') === `services/${dir}`)) {
    problems.push(`${where}: services/${dir} is not in tsconfig.build.json, so \`npm run build\` does not produce ${parts[1]}`);
  }
  return problems;
}

// ------------------------------------------------------------------------------------------------
// docker-compose.yml helpers

/** What compose substitutes with nothing set in the shell; a required `${VAR:?msg}` gets a dummy value. */
function interpolate(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_]\w*)(?:(:?)([-?])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_]\w*)/g,
    (whole, _name, _colon, op: string | undefined, rest: string | undefined) => {
      if (whole === '$$') return '$';
      if (op === '-') return rest ?? '';
      if (op === '?') return DUMMY;
      return '';
    },
  );
}

/** A compose service's `environment` (map or KEY=VALUE list), interpolated. */
function composeEnv(service: Obj): Record<string, string | undefined> {
  const raw = service['environment'];
  const entries: [string, unknown][] = Array.isArray(raw)
    ? raw.map(String).map((line) => {
        const at = line.indexOf('=');
        return at < 0 ? [line, undefined] : [line.slice(0, at), line.slice(at + 1)];
      })
    : Object.entries(obj(raw));
  return Object.fromEntries(entries.map(([k, v]) => [k, str(v) === undefined ? undefined : interpolate(str(v)!)]));
}

/** Container ports a compose service publishes on the host: `[ip:][host:]container[/proto]` or the long form. */
function publishedPorts(service: Obj): { host: string | undefined; container: number }[] {
  return arr(service['ports']).map((entry) => {
    if (isObj(entry)) return { host: str(entry['published']), container: Number(entry['target']) };
    const parts = String(entry).replace(/\/(tcp|udp)$/, '').split(':');
    const container = Number(parts.pop());
    return { host: parts.length ? parts.pop() : undefined, container };
  });
}

/** The port and path a healthcheck command asks on the loopback interface. */
function healthcheckTarget(service: Obj): { port: number; path: string } | undefined {
  const test = obj(service['healthcheck'])['test'];
  const text = Array.isArray(test) ? test.join(' ') : String(test ?? '');
  const match = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)(\/[\w/-]*)/.exec(text);
  return match ? { port: Number(match[1]), path: match[2]! } : undefined;
}

function dependsOn(service: Obj): Record<string, string> {
  const raw = service['depends_on'];
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name) => [String(name), 'service_started']));
  return Object.fromEntries(Object.entries(obj(raw)).map(([k, v]) => [k, str(obj(v)['condition']) ?? 'service_started']));
}

/** Services built from the repository's Dockerfile. */
const modelyardComposeServices = Object.keys(composeServices).filter(
  (name) => composeService(name)['build'] !== undefined || composeService(name)['image'] === composeService('gateway')['image'],
);
/** Run once and exit (`restart: "no"`, another service waits for it with service_completed_successfully). */
const oneShotServices = Object.keys(composeServices).filter(
  (name) =>
    str(composeService(name)['restart']) === 'no' &&
    Object.values(composeServices).some((s) => dependsOn(obj(s))[name] === 'service_completed_successfully'),
);

// ------------------------------------------------------------------------------------------------
// deploy/k8s helpers

const podSpec = (deployment: Obj) => obj(obj(obj(deployment['spec'])['template'])['spec']);
const podLabels = (deployment: Obj) => obj(obj(obj(obj(deployment['spec'])['template'])['metadata'])['labels']);
const containers = (deployment: Obj) => arr(podSpec(deployment)['containers']).map(obj);
const deployment = (name: string) => ofKind('Deployment').find((m) => m.name === name);
const deploymentContainer = (name: string) => obj(containers(deployment(name)?.doc ?? {})[0]);

/** A ConfigMap's or Secret's keys and values (Secret `data` is base64). */
function keyValues(m: Manifest): Record<string, string> {
  const decoded = Object.entries(obj(m.doc['data'])).map(([k, v]) =>
    m.kind === 'Secret' ? [k, Buffer.from(String(v), 'base64').toString('utf8')] : [k, str(v) ?? ''],
  );
  const plain = Object.entries(obj(m.doc['stringData'])).map(([k, v]) => [k, str(v) ?? '']);
  return Object.fromEntries([...decoded, ...plain]);
}
const source = (kind: string, name: unknown) => manifests.find((m) => m.kind === kind && m.name === name);

/** A container's environment as Kubernetes builds it (envFrom in order, then env), with the problems of its references. */
function containerEnv(container: Obj): { env: Record<string, string | undefined>; problems: string[] } {
  const env: Record<string, string | undefined> = {};
  const problems: string[] = [];
  for (const from of arr(container['envFrom']).map(obj)) {
    const [kind, ref] = from['configMapRef'] ? ['ConfigMap', obj(from['configMapRef'])] : ['Secret', obj(from['secretRef'])];
    const found = source(kind, ref['name']);
    if (found) Object.assign(env, keyValues(found));
    else if (ref['optional'] !== true) problems.push(`envFrom refers to ${kind} "${String(ref['name'])}", which no manifest defines`);
  }
  for (const entry of arr(container['env']).map(obj)) {
    const name = String(entry['name']);
    const valueFrom = obj(entry['valueFrom']);
    const ref = valueFrom['configMapKeyRef'] ? ['ConfigMap', obj(valueFrom['configMapKeyRef'])] : valueFrom['secretKeyRef'] ? ['Secret', obj(valueFrom['secretKeyRef'])] : undefined;
    if (!ref) {
      env[name] = str(entry['value']);
      continue;
    }
    const [kind, key] = ref as [string, Obj];
    const found = source(kind, key['name']);
    const value = found ? keyValues(found)[String(key['key'])] : undefined;
    if (value === undefined && key['optional'] !== true) {
      problems.push(`env ${name} refers to key "${String(key['key'])}" of ${kind} "${String(key['name'])}", which does not exist`);
    }
    env[name] = value;
  }
  return { env, problems };
}

/** A probe's or Service's port (number or name) -> the container port number it means, if declared. */
function resolveContainerPort(container: Obj, port: unknown): number | undefined {
  const ports = arr(container['ports']).map(obj);
  const found = ports.find((p) => (typeof port === 'number' ? p['containerPort'] === port : p['name'] === port));
  return found ? Number(found['containerPort']) : undefined;
}

const selects = (selector: Obj, labels: Obj) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

// ================================================================================================

describe('deployment descriptions: every file parses', () => {
  it('docker-compose.yml is valid YAML (one document)', () => {
    const { docs, errors } = yamlDocuments('docker-compose.yml');
    expect(errors).toEqual([]);
    expect(docs).toHaveLength(1);
  });

  it(`every file in ${K8S_DIR} is valid YAML, every document a Kubernetes object`, () => {
    const problems = k8sFiles.flatMap((file) => {
      const { docs, errors } = yamlDocuments(`${K8S_DIR}/${file}`);
      if (errors.length) return errors;
      if (!docs.length) return [`${file}: holds no document`];
      return docs.flatMap((d, i) =>
        str(obj(d)['apiVersion']) && str(obj(d)['kind']) && (str(obj(obj(d)['metadata'])['name']) || /^kustomization/.test(file))
          ? []
          : [`${file}, document ${i + 1}: needs apiVersion, kind and metadata.name`],
      );
    });
    expect(problems).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = exists('Dockerfile') ? read('Dockerfile') : '';
  const lines = dockerfile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = lines.filter((l) => /^FROM\s/i.test(l));
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('is multi-stage on node:20-bookworm-slim', () => {
    const args = Object.fromEntries([...dockerfile.matchAll(/^ARG\s+(\w+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
    const images = stages.map((l) => l.split(/\s+/)[1]!.replace(/^\$\{?(\w+)\}?$/, (_, name: string) => args[name] ?? name));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(images.filter((image) => image !== 'node:20-bookworm-slim')).toEqual([]);
  });

  it('installs with npm ci, builds, then prunes the dev dependencies, with ONNXRUNTIME_NODE_INSTALL=skip', () => {
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    const steps = [at(/^RUN\b.*\bnpm ci\b/), at(/^RUN\b.*\bnpm run build\b/), at(/^RUN\b.*\bnpm prune --omit=dev\b/)];
    expect(steps.every((i) => i >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect(dockerfile).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
  });

  it('copies every npm workspace manifest before `npm ci` (or the workspace is not linked)', () => {
    const beforeInstall = dockerfile.slice(0, dockerfile.search(/^RUN\b.*\bnpm ci\b/m));
    const workspaces = arr(obj(JSON.parse(read('package.json')))['workspaces']).map(String);
    const folders = workspaces.flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(join(ROOT, pattern.slice(0, -2)), { withFileTypes: true })
            .filter((d) => d.isDirectory())
            .map((d) => `${pattern.slice(0, -2)}/${d.name}`)
        : [pattern],
    );
    const missing = folders
      .filter((dir) => exists(`${dir}/package.json`))
      .filter((dir) => !new RegExp(`^COPY\\s.*\\b${dir.replace(/[/.]/g, '\\$&')}/package\\.json\\b`, 'm').test(beforeInstall));
    expect(missing).toEqual([]);
  });

  it('runs as a non-root user, given by number (Kubernetes runAsNonRoot can only verify a number)', () => {
    const user = /^USER\s+(\S+)/m.exec(lastStage)?.[1];
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it('.dockerignore keeps node_modules and dist (whose .tsbuildinfo would skip the build) out of the context', () => {
    const ignored = exists('.dockerignore') ? read('.dockerignore').split('\n').map((l) => l.trim()) : [];
    expect(['node_modules', 'dist', '.git'].filter((p) => !ignored.includes(p) && !ignored.includes(`**/${p}`))).toEqual([]);
  });

  it('sets only variables the configuration schema knows', () => {
    const set = [...dockerfile.matchAll(/\b(MODELYARD_\w+)=/g)].map((m) => m[1]!);
    expect(set.filter((name) => !KNOWN_VARIABLES.has(name))).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  it('defines the five services, PostgreSQL, Redis, Kafka and MinIO', () => {
    const missing = [...SERVICES, ...BACKING_SERVICES].filter((name) => !(name in composeServices));
    expect(missing).toEqual([]);
  });

  it('gives every long-running service a healthcheck (one-shot jobs excepted)', () => {
    const without = Object.keys(composeServices).filter((name) => {
      const test = obj(composeService(name)['healthcheck'])['test'];
      const usable = (Array.isArray(test) ? test.length > 1 && test[0] !== 'NONE' : typeof test === 'string' && test.length > 0) && obj(composeService(name)['healthcheck'])['disable'] !== true;
      return !usable && !oneShotServices.includes(name);
    });
    expect(without).toEqual([]);
  });

  it('builds every Modelyard service from the Dockerfile into one image', () => {
    const problems = modelyardComposeServices.flatMap((name) => {
      const build = composeService(name)['build'];
      const context = typeof build === 'string' ? build : str(obj(build)['context']);
      const dockerfile = isObj(build) ? (str(build['dockerfile']) ?? 'Dockerfile') : 'Dockerfile';
      return [
        ...(context === '.' && dockerfile === 'Dockerfile' && exists('Dockerfile') ? [] : [`${name}: must build . with ./Dockerfile`]),
        ...(composeService(name)['image'] === composeService('gateway')['image'] ? [] : [`${name}: image differs from the gateway's`]),
      ];
    });
    expect(problems).toEqual([]);
    expect(modelyardComposeServices).toEqual(expect.arrayContaining([...SERVICES]));
  });

  it('runs `node services/<name>/dist/main.js` in each service, built from a source that exists', () => {
    const problems = modelyardComposeServices.flatMap((name) =>
      entryPointProblems(
        name,
        composeService(name)['command'],
        (SERVICES as readonly string[]).includes(name) ? `services/${name}/dist/main.js` : undefined,
      ),
    );
    expect(problems).toEqual([]);
  });

  it('sets only variables the configuration schema knows, in `environment` (no env_file)', () => {
    const problems = modelyardComposeServices.flatMap((name) => [
      ...Object.keys(composeEnv(composeService(name)))
        .filter((k) => !KNOWN_VARIABLES.has(k))
        .map((k) => `${name}: ${k} is not in ENV_SCHEMA`),
      ...(composeService(name)['env_file'] === undefined ? [] : [`${name}: env_file cannot be checked; use environment`]),
    ]);
    expect(problems).toEqual([]);
  });

  it.each([...SERVICES, 'migrate'])('the environment of %s passes loadConfig and sets what the process requires', (name) => {
    if (!(name in composeServices)) {
      expect(SERVICES as readonly string[]).not.toContain(name); // migrate is optional
      return;
    }
    expect(configProblems(name, name, composeEnv(composeService(name)))).toEqual([]);
  });

  it.each(SERVICES)('%s: the healthcheck asks /readyz on the port the process serves', (name) => {
    const serving = servingPort(name, addressesOf(composeEnv(composeService(name))));
    expect(serving).toEqual(expect.any(Number));
    expect(healthcheckTarget(composeService(name))).toEqual({ port: serving, path: '/readyz' });
  });

  it("publishes only the gateway's port, the container port being its PORT", () => {
    const publishing = Object.keys(composeServices).filter((name) => publishedPorts(composeService(name)).length > 0);
    expect(publishing).toEqual(['gateway']);
    const config = addressesOf(composeEnv(composeService('gateway')));
    expect(publishedPorts(composeService('gateway')).map((p) => p.container)).toEqual([config.http.port]);
  });

  it('the gateway reaches the registry on the host and port the registry listens on', () => {
    const gateway = addressesOf(composeEnv(composeService('gateway')));
    const registry = addressesOf(composeEnv(composeService('registry')));
    // The gateway connects to the registry's service name; the registry binds every address (or that name).
    expect(gateway.registry.host).toBe('registry');
    expect([...WILDCARD_HOSTS, 'registry']).toContain(registry.registry.host);
    expect(gateway.registry.port).toBe(registry.registry.port);
  });

  it.each(SCALABLE)('%s can be scaled with --scale: no container_name, no host port, no hostname', (name) => {
    const service = composeService(name);
    expect({ container_name: service['container_name'], hostname: service['hostname'] }).toEqual({
      container_name: undefined,
      hostname: undefined,
    });
    expect(publishedPorts(service).filter((p) => p.host !== undefined)).toEqual([]);
  });

  it('depends_on names services that exist, waiting for health or (one-shot jobs) completion', () => {
    const problems = Object.keys(composeServices).flatMap((name) =>
      Object.entries(dependsOn(composeService(name))).flatMap(([target, condition]) => {
        if (!(target in composeServices)) return [`${name} depends on "${target}", which is not a service`];
        if (condition === 'service_healthy' && !composeService(target)['healthcheck']) return [`${name} waits for ${target} to be healthy, but it has no healthcheck`];
        if (condition === 'service_completed_successfully' && !oneShotServices.includes(target)) return [`${name} waits for ${target} to complete, but it is not a one-shot (restart: "no")`];
        if (condition === 'service_started') return [`${name} depends on ${target} without waiting for it (use service_healthy)`];
        return [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it('starts the registry after PostgreSQL and the gateway after the registry', () => {
    expect(dependsOn(composeService('registry'))['postgres']).toBe('service_healthy');
    expect(dependsOn(composeService('gateway'))['registry']).toBe('service_healthy');
  });
});

describe('deploy/k8s', () => {
  it('kustomization.yaml lists exactly the manifests of the folder', () => {
    const listed = arr(kustomization['resources']).map(String);
    expect([...listed].sort()).toEqual(manifestFiles);
  });

  it('has a Namespace, a ConfigMap, a Secret, and a Deployment and a Service for each of the five services', () => {
    const names = (kind: string) => ofKind(kind).map((m) => m.name);
    expect(names('Namespace')).toHaveLength(1);
    expect(names('ConfigMap').length).toBeGreaterThan(0);
    expect(names('Secret').length).toBeGreaterThan(0);
    expect(names('Deployment')).toEqual(expect.arrayContaining([...SERVICES]));
    expect(names('Service')).toEqual(expect.arrayContaining([...SERVICES]));
  });

  it('every ConfigMap and Secret key is a variable of the configuration schema', () => {
    const unknown = [...ofKind('ConfigMap'), ...ofKind('Secret')].flatMap((m) =>
      Object.keys(keyValues(m))
        .filter((k) => !KNOWN_VARIABLES.has(k))
        .map((k) => `${m.kind} ${m.name}: ${k}`),
    );
    expect(unknown).toEqual([]);
  });

  it('every container env and envFrom refers to a ConfigMap / Secret (and key) that exists, and sets only known variables', () => {
    const problems = ofKind('Deployment').flatMap((d) =>
      containers(d.doc).flatMap((c) => {
        const { problems: refs } = containerEnv(c);
        const names = arr(c['env']).map((e) => String(obj(e)['name']));
        return [
          ...refs.map((p) => `${d.name}: ${p}`),
          ...names.filter((n) => !KNOWN_VARIABLES.has(n)).map((n) => `${d.name}: env ${n} is not in ENV_SCHEMA`),
        ];
      }),
    );
    expect(problems).toEqual([]);
  });

  it.each(SERVICES)('the merged environment of the %s Deployment passes loadConfig and sets what the process requires', (name) => {
    const container = deploymentContainer(name);
    expect(Object.keys(container).length).toBeGreaterThan(0);
    const { env, problems: refs } = containerEnv(container);
    expect([...refs, ...configProblems(`Deployment ${name}`, name, env)]).toEqual([]);
  });

  it.each(SERVICES)('the %s Deployment runs node services/<its name>/dist/main.js from the one image', (name) => {
    const container = deploymentContainer(name);
    const command = [...arr(container['command']), ...arr(container['args'])];
    expect(entryPointProblems(`Deployment ${name}`, command, `services/${name}/dist/main.js`)).toEqual([]);
    const images = new Set(ofKind('Deployment').flatMap((d) => containers(d.doc).map((c) => c['image'])));
    expect(images.size).toBe(1);
    const renamed = arr(kustomization['images']).map((i) => obj(i)['name']);
    if (renamed.length) expect(renamed).toContain(container['image']);
  });

  it.each(SERVICES)('%s: readiness on /readyz and liveness on /healthz, at the port the process serves', (name) => {
    const container = deploymentContainer(name);
    const serving = servingPort(name, addressesOf(containerEnv(container).env));
    const probe = (kind: string) => {
      const httpGet = obj(obj(container[kind])['httpGet']);
      return { path: httpGet['path'], port: resolveContainerPort(container, httpGet['port']) };
    };
    expect(serving).toEqual(expect.any(Number));
    expect(probe('readinessProbe')).toEqual({ path: '/readyz', port: serving });
    expect(probe('livenessProbe')).toEqual({ path: '/healthz', port: serving });
    if (container['startupProbe']) expect(probe('startupProbe')).toEqual({ path: expect.stringMatching(/^\/(healthz|readyz)$/), port: serving });
  });

  it("every Service selects one Deployment and targets ports its container declares", () => {
    const problems = ofKind('Service').flatMap((s) => {
      const selector = obj(obj(s.doc['spec'])['selector']);
      const selected = ofKind('Deployment').filter((d) => selects(selector, podLabels(d.doc)));
      if (selected.length !== 1) return [`Service ${s.name} selects ${selected.length} Deployments (${selected.map((d) => d.name).join(', ')})`];
      const container = obj(containers(selected[0]!.doc)[0]);
      return arr(obj(s.doc['spec'])['ports']).map(obj).flatMap((p) =>
        resolveContainerPort(container, p['targetPort'] ?? p['port']) === undefined
          ? [`Service ${s.name}: targetPort ${String(p['targetPort'] ?? p['port'])} is not a port of Deployment ${selected[0]!.name}`]
          : [],
      );
    });
    expect(problems).toEqual([]);
  });

  it("every Deployment's selector matches its own pod labels", () => {
    const problems = ofKind('Deployment')
      .filter((d) => !selects(obj(obj(obj(d.doc['spec'])['selector'])['matchLabels']), podLabels(d.doc)))
      .map((d) => d.name);
    expect(problems).toEqual([]);
  });

  it('the gateway Service serves port 80 from the gateway container port (PORT)', () => {
    const container = deploymentContainer('gateway');
    const config = addressesOf(containerEnv(container).env);
    const ports = arr(obj(source('Service', 'gateway')?.doc['spec'])['ports']).map(obj);
    const port80 = ports.find((p) => p['port'] === 80);
    expect(port80).toBeDefined();
    expect(resolveContainerPort(container, port80!['targetPort'])).toBe(config.http.port);
  });

  it('the gateway reaches the registry through a Service that leads to the RPC port the registry listens on', () => {
    const gateway = addressesOf(containerEnv(deploymentContainer('gateway')).env);
    const registryContainer = deploymentContainer('registry');
    const registry = addressesOf(containerEnv(registryContainer).env);
    // A pod cannot bind a Service's address: the registry must listen on every address.
    expect(WILDCARD_HOSTS).toContain(registry.registry.host);
    const serviceName = gateway.registry.host.split('.')[0];
    const service = source('Service', serviceName);
    expect(service && selects(obj(obj(service.doc['spec'])['selector']), podLabels(deployment('registry')!.doc))).toBe(true);
    const port = arr(obj(service!.doc['spec'])['ports']).map(obj).find((p) => p['port'] === gateway.registry.port);
    expect(port).toBeDefined();
    expect(resolveContainerPort(registryContainer, port!['targetPort'] ?? port!['port'])).toBe(registry.registry.port);
  });

  it('HorizontalPodAutoscalers (autoscaling/v2, CPU) scale inference and ingest, whose Deployments leave replicas to them', () => {
    const hpas = ofKind('HorizontalPodAutoscaler');
    const problems = hpas.flatMap((h) => {
      const spec = obj(h.doc['spec']);
      const target = obj(spec['scaleTargetRef']);
      const scaled = target['kind'] === 'Deployment' ? deployment(String(target['name'])) : undefined;
      const cpu = arr(spec['metrics']).some((m) => obj(m)['type'] === 'Resource' && obj(obj(m)['resource'])['name'] === 'cpu');
      return [
        ...(h.doc['apiVersion'] === 'autoscaling/v2' ? [] : [`HPA ${h.name}: apiVersion must be autoscaling/v2`]),
        ...(scaled ? [] : [`HPA ${h.name}: targets ${String(target['kind'])} ${String(target['name'])}, which does not exist`]),
        ...(cpu ? [] : [`HPA ${h.name}: has no CPU metric`]),
        ...(scaled && obj(scaled.doc['spec'])['replicas'] !== undefined ? [`Deployment ${scaled.name}: sets replicas, which resets the HPA on each apply`] : []),
        ...(scaled && containers(scaled.doc).some((c) => !obj(obj(c['resources'])['requests'])['cpu']) ? [`Deployment ${scaled.name}: CPU utilization needs a CPU request`] : []),
      ];
    });
    expect(problems).toEqual([]);
    const targets = hpas.map((h) => obj(obj(h.doc['spec'])['scaleTargetRef'])['name']);
    expect(targets).toEqual(expect.arrayContaining([...SCALABLE]));
  });

  it('every container runs as non-root with resource requests and limits, and pods get no service-link variables', () => {
    const problems = ofKind('Deployment').flatMap((d) => {
      const pod = podSpec(d.doc);
      return [
        // Service links would add e.g. REGISTRY_PORT=tcp://...; a Service named modelyard-registry would even set MODELYARD_REGISTRY_PORT.
        ...(pod['enableServiceLinks'] === false ? [] : [`${d.name}: set enableServiceLinks: false`]),
        ...containers(d.doc).flatMap((c) => {
          const nonRoot = obj(c['securityContext'])['runAsNonRoot'] ?? obj(pod['securityContext'])['runAsNonRoot'];
          const resources = obj(c['resources']);
          const missing = ['requests', 'limits'].flatMap((k) => ['cpu', 'memory'].filter((r) => !obj(resources[k])[r]).map((r) => `${k}.${r}`));
          return [
            ...(nonRoot === true ? [] : [`${d.name}/${String(c['name'])}: securityContext.runAsNonRoot must be true`]),
            ...(missing.length ? [`${d.name}/${String(c['name'])}: resources lack ${missing.join(', ')}`] : []),
          ];
        }),
      ];
    });
    expect(problems).toEqual([]);
  });
});

describe('README', () => {
  it('documents every configuration variable in its table', () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## How it is built'));
    const missing = [...KNOWN_VARIABLES].filter((name) => !table.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
