import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = (what: string) =>
  z.coerce
    .number({ error: `must be a ${what} port number (0-65535)` })
    .int({ error: `must be a ${what} port number (0-65535)` })
    .min(0, { error: `must be a ${what} port number (0-65535)` })
    .max(65535, { error: `must be a ${what} port number (0-65535)` });

const positiveInt = (what: string) =>
  z.coerce.number({ error: `must be ${what}` }).int({ error: `must be ${what}` }).positive({ error: `must be ${what}` });

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** A size in bytes, written plainly (1073741824) or with a unit (1GiB, 512MB). */
const byteSize = (what: string) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*([kmgt]i?b|b)?$/i, { error: `must be ${what}: bytes, or a number with a unit (512MiB, 4GiB, 1GB)` })
    .transform((text) => {
      const [, amount, unit = ''] = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())!;
      return Math.floor(Number(amount) * BYTE_UNITS[unit.toLowerCase()]!);
    })
    .pipe(z.number().int().positive({ error: `must be ${what} greater than zero` }));

/**
 * Every environment variable Modelyard reads, with its default. The README's configuration table
 * and the deployment checks are written from this list. `sensitive` values are never printed.
 */
export const ENV_SCHEMA = {
  PORT: { schema: port('TCP').default(8080), doc: 'HTTP port of the gateway (and of the console).' },
  MODELYARD_HOST: { schema: z.string().min(1).default('0.0.0.0'), doc: 'Address the HTTP server binds to.' },
  MODELYARD_DATA_DIR: {
    schema: z.string().min(1).default('./data'),
    doc: 'Standalone mode: folder holding the embedded database, stored files and the generated admin token hash.',
  },
  MODELYARD_DATABASE_URL: {
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\/.+/, { error: 'must be a postgres:// or postgresql:// URL' })
      .optional(),
    doc: 'PostgreSQL URL. Unset in standalone mode: the embedded PGlite database in the data folder is used. Required by the registry when it runs as its own process.',
    sensitive: true,
  },
  MODELYARD_ADMIN_TOKEN: {
    schema: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
    doc: 'Bootstrap admin bearer token. Unset in standalone mode: one is generated on first start, printed once and stored hashed in the data folder. Required by the gateway when it runs as its own process.',
    sensitive: true,
  },
  MODELYARD_ADMIN_PASSWORD: {
    schema: z.string().min(10, { error: 'must be at least 10 characters' }).max(256, { error: 'must be at most 256 characters' }).optional(),
    doc: 'Sets the password of the built-in `admin` user at start-up, so it can sign in to the console with a username and password (or use `npm run set-password -- admin`).',
    sensitive: true,
  },
  MODELYARD_SESSION_TTL_MS: {
    schema: positiveInt('a positive number of milliseconds').default(12 * 60 * 60 * 1000),
    doc: 'How long a sign-in session lasts (default 12 hours); sign-out ends it sooner.',
  },
  MODELYARD_PASSWORD_SCRYPT_LOG_N: {
    schema: z.coerce.number({ error: 'must be a whole number from 14 to 20' }).int({ error: 'must be a whole number from 14 to 20' }).min(14, { error: 'must be a whole number from 14 to 20' }).max(20, { error: 'must be a whole number from 14 to 20' }).default(17),
    doc: 'scrypt cost of password hashes as a power of two (default 17: N = 131072, r = 8, p = 1, OWASP\'s recommendation; about 128 MiB per hash). Old hashes are re-hashed at the next sign-in when it rises.',
  },
  MODELYARD_AUTH_CACHE_TTL_MS: {
    schema: z.coerce.number({ error: 'must be a number of milliseconds from 0 to 1500' }).int({ error: 'must be a whole number of milliseconds' }).min(0, { error: 'must be 0 or more' }).max(1_500, { error: 'must be at most 1500 (a revoked token must be refused within 2 s)' }).default(1_000),
    doc: 'How long a gateway reuses what a token or session resolved to (user, role, teams, limits) before asking again: a revoked token, a disabled user or a changed role applies on every gateway within this time.',
  },
  MODELYARD_SIGNIN_MAX_FAILURES: {
    schema: positiveInt('a positive number').default(5),
    doc: 'Failed sign-ins one username may have within MODELYARD_SIGNIN_FAILURE_WINDOW_MS before further attempts are refused with 429 (an address may have four times as many, over all usernames).',
  },
  MODELYARD_SIGNIN_FAILURE_WINDOW_MS: {
    schema: positiveInt('a positive number of milliseconds').default(15 * 60 * 1000),
    doc: 'The window over which failed sign-ins are counted (default 15 minutes).',
  },
  MODELYARD_TRUST_PROXY: {
    schema: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false').transform((value) => value === 'true'),
    doc: 'true behind a reverse proxy: the client address (audit log, sign-in throttling) is read from X-Forwarded-For. Leave false when clients reach the gateway directly, or they could claim any address.',
  },
  MODELYARD_LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    doc: 'Log level.',
  },
  MODELYARD_LOG_FORMAT: {
    schema: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).default('json'),
    doc: 'json (one object a line, for collectors) or pretty (for a terminal).',
  },
  MODELYARD_BODY_LIMIT_BYTES: {
    schema: positiveInt('a positive number of bytes').default(1024 * 1024),
    doc: 'Largest JSON request body accepted (413 beyond).',
  },
  MODELYARD_REGISTRY_HOST: {
    schema: z.string().min(1).default('127.0.0.1'),
    doc: 'Distributed mode: host of the registry RPC (TCP) listener; the registry binds it, the gateway connects to it.',
  },
  MODELYARD_REGISTRY_PORT: { schema: port('TCP').default(4001), doc: 'Distributed mode: port of the registry RPC listener.' },
  MODELYARD_METRICS_HOST: {
    schema: z.string().min(1).default('127.0.0.1'),
    doc: 'Distributed mode: host of the metrics service\'s RPC (TCP) listener; the metrics service binds it, the gateway connects to it.',
  },
  MODELYARD_METRICS_PORT: { schema: port('TCP').default(4002), doc: 'Distributed mode: port of the metrics RPC listener.' },
  MODELYARD_RPC_TIMEOUT_MS: {
    schema: positiveInt('a positive number of milliseconds').default(10_000),
    doc: 'How long the gateway waits for the registry before answering 504.',
  },
  MODELYARD_OUTBOX_POLL_MS: {
    schema: positiveInt('a positive number of milliseconds').default(1000),
    doc: 'How often the outbox relay looks for unpublished events (it is also woken after each commit).',
  },
  MODELYARD_KAFKA_BROKERS: {
    schema: z
      .string()
      .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { error: 'must be a comma-separated list of host:port' })
      .optional(),
    doc: 'Kafka bootstrap brokers (host:port,...). Set: events go through Kafka. Unset: the in-process event bus.',
  },
  MODELYARD_REDIS_URL: {
    schema: z
      .string()
      .regex(/^rediss?:\/\/.+/, { error: 'must be a redis:// or rediss:// URL' })
      .optional(),
    doc: 'Redis URL for the BullMQ job queue. Set: jobs go through BullMQ. Unset: the in-process job queue.',
    sensitive: true,
  },
  MODELYARD_JOB_STALL_TIMEOUT_MS: {
    schema: positiveInt('a positive number of milliseconds').default(30_000),
    doc: 'BullMQ: how long a job stays locked to a worker that stopped answering before another worker takes it over (lock duration and stalled-job check interval). Recovery takes up to three times this.',
  },
  MODELYARD_S3_ENDPOINT: {
    schema: z
      .string()
      .regex(/^https?:\/\/[^/]+\/?$/, { error: 'must be an http:// or https:// URL without a path' })
      .optional(),
    doc: 'S3 endpoint (MinIO or any S3). Set: model files are stored there. Unset: on local disk in the data folder.',
  },
  MODELYARD_S3_REGION: { schema: z.string().min(1).default('us-east-1'), doc: 'S3 region.' },
  MODELYARD_S3_BUCKET: {
    schema: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be a valid S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)' })
      .default('modelyard'),
    doc: 'S3 bucket for model files (created when missing).',
  },
  MODELYARD_S3_ACCESS_KEY: { schema: z.string().min(1).optional(), doc: 'S3 access key id.', sensitive: true },
  MODELYARD_S3_SECRET_KEY: { schema: z.string().min(1).optional(), doc: 'S3 secret access key.', sensitive: true },
  MODELYARD_HF_ENDPOINT: {
    schema: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, { error: 'must be an http:// or https:// URL' })
      .transform((url) => url.replace(/\/+$/, ''))
      .default('https://huggingface.co'),
    doc: 'Base URL of the Hugging Face Hub (or a mirror) that imports read from.',
  },
  MODELYARD_HF_TOKEN: {
    // The Hub client refuses other tokens before sending anything.
    schema: z.string().regex(/^hf_\w+$/, { error: 'must be a Hugging Face token (hf_…)' }).optional(),
    doc: 'Hugging Face access token for gated and private repos (sent only to MODELYARD_HF_ENDPOINT).',
    sensitive: true,
  },
  MODELYARD_SECRET_KEY: {
    schema: z
      .string()
      .regex(/^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$/, { error: 'must be 32 random bytes as base64 (44 characters) or hex (64 characters), e.g. the output of openssl rand -base64 32' })
      .optional(),
    doc: 'Master key that seals stored secrets (provider API keys, endpoint secret headers, Hugging Face tokens) with AES-256-GCM. Unset in standalone mode: one is generated into <data dir>/secret.key (mode 0600). Required by the gateway, registry, ingest and inference when they run as their own processes.',
    sensitive: true,
  },
  MODELYARD_SECRET_KEYS_PREVIOUS: {
    schema: z
      .string()
      .regex(/^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)(?:,(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?))*$/, {
        error: 'must be a comma-separated list of keys written like MODELYARD_SECRET_KEY',
      })
      .optional(),
    doc: 'Former master keys, comma-separated: they only open secrets, so a rotation (`npm run rotate-secrets` or POST /api/v1/admin/secrets/rotate) can re-seal them with MODELYARD_SECRET_KEY.',
    sensitive: true,
  },
  MODELYARD_OPENAI_BASE_URL: {
    schema: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, { error: 'must be an http:// or https:// URL' })
      .default('https://api.openai.com/v1'),
    doc: 'Where OpenAI models are called when their record has no endpoint (an OpenAI-compatible gateway also works).',
  },
  MODELYARD_ANTHROPIC_BASE_URL: {
    schema: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, { error: 'must be an http:// or https:// URL' })
      .default('https://api.anthropic.com'),
    doc: 'Where Anthropic models are called when their record has no endpoint.',
  },
  MODELYARD_ALLOWED_ENDPOINT_HOSTS: {
    schema: z
      .string()
      .regex(/^[^,\s]+(,[^,\s]+)*$/, { error: 'must be a comma-separated list of host names or IP addresses, without spaces' })
      .transform((list) => list.split(',').map((host) => host.toLowerCase().replace(/^\[|\]$/g, '')))
      .optional(),
    doc: 'Hosts that model endpoints may reach even though they resolve to loopback, private, link-local or cloud-metadata addresses (refused otherwise, against SSRF). For on-premise model servers and tests, e.g. `10.0.0.12,models.internal`.',
  },
  MODELYARD_PROVIDER_TIMEOUT_MS: {
    schema: positiveInt('a positive number of milliseconds').default(60_000),
    doc: 'Longest a call to OpenAI, Anthropic or a model endpoint may take (a model\'s own `config.http.timeout_ms` can only shorten it); key validation at registration waits at most 10 s.',
  },
  MODELYARD_UPLOAD_LIMIT: {
    schema: byteSize('a size').default(5 * 1024 ** 3),
    doc: 'Largest model file accepted by upload (413 beyond); bytes or with a unit (5GiB).',
  },
  MODELYARD_UPLOAD_IDLE_TIMEOUT_MS: {
    schema: positiveInt('a positive number of milliseconds').default(60_000),
    doc: 'How long an upload may go without receiving a byte (a stalled or cut client) before it is abandoned with 408; nothing is stored and the model returns to its status before.',
  },
  MODELYARD_CACHE_DIR: {
    schema: z.string().min(1).optional(),
    doc: 'Where inference workers keep model files fetched from storage (verified by sha256, reused). Default: <data dir>/cache.',
  },
  MODELYARD_SESSION_MEMORY_BUDGET: {
    schema: byteSize('a size').default(2 * 1024 ** 3),
    doc: 'Memory an inference worker may spend on loaded models; the least recently used is unloaded beyond it.',
  },
  MODELYARD_INFERENCE_DEVICE: {
    schema: z.enum(['auto', 'cpu', 'cuda'], { error: 'must be auto, cpu or cuda' }).default('auto'),
    doc: 'auto: CUDA when onnxruntime finds a usable GPU, else CPU; cpu; cuda (start-up fails without a GPU).',
  },
  MODELYARD_GPU_MEMORY_LIMIT: {
    schema: byteSize('a size').optional(),
    doc: 'GPU memory an inference worker may fill with loaded models (e.g. 4GiB): on CUDA the session budget is the smaller of this and MODELYARD_SESSION_MEMORY_BUDGET. Unset: only the session budget applies.',
  },
  MODELYARD_INFERENCE_TIMEOUT_MS: {
    schema: positiveInt('a positive number of milliseconds').default(30_000),
    doc: 'How long a test call waits for an inference worker before answering 504.',
  },
  MODELYARD_MODEL_CACHE_TTL_MS: {
    schema: z.coerce.number({ error: 'must be a number of milliseconds (0 to disable)' }).int({ error: 'must be a whole number of milliseconds' }).min(0, { error: 'must be 0 or more' }).default(1_000),
    doc: 'How long the gateway reuses an active model\'s record for test calls instead of asking the registry each time. Changes made through the same gateway apply at once; others within this time. 0 asks every time.',
  },
  MODELYARD_INFERENCE_CONCURRENCY: {
    schema: positiveInt('a positive number').default(4),
    doc: 'Jobs one inference worker runs at a time.',
  },
  MODELYARD_PROVIDER_CONCURRENCY: {
    schema: positiveInt('a positive number').default(32),
    doc: 'Provider and endpoint calls one inference worker makes at a time (they wait on the network, so more than ONNX runs).',
  },
  MODELYARD_INGEST_CONCURRENCY: {
    schema: positiveInt('a positive number').default(2),
    doc: 'Imports one ingest worker runs at a time.',
  },
  MODELYARD_HEALTH_PORT: {
    schema: port('TCP').optional(),
    doc: 'Distributed mode: port of the health endpoints of a service without an HTTP API (ingest 8082, inference 8083, metrics 8084, registry 8081 by default).',
  },
} as const;

export type EnvName = keyof typeof ENV_SCHEMA;
