import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import { REGISTRY_PATTERNS, type Caller, type RegistryMessages } from '@modelyard/contracts';
import { createLogger, createPlatform, InProcessRpcClient, InProcessRpcServer, loadConfig, type Platform } from '@modelyard/platform';
import { builtinAdminCaller } from '@modelyard/testing';
import { runRegistryMigrations, startRegistry, type RegistryApp } from '../src/index.js';
import { TokensService } from '../src/identity/tokens.service.js';
import { UsersService } from '../src/identity/users.service.js';

type TokenRefs = RegistryMessages[typeof REGISTRY_PATTERNS.tokenRefs];

/** The names usage statistics show next to token ids, as the gateway asks for them. */
describe('registry: names of API tokens by id (tokenRefs)', () => {
  let dataDir: string;
  let platform: Platform;
  let registry: RegistryApp;
  let rpc: InProcessRpcClient;
  let admin: Caller;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'modelyard-token-refs-'));
    // The quickest password hashes the configuration allows: users are made here, never signed in.
    const config = loadConfig({ MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'silent', MODELYARD_PASSWORD_SCRYPT_LOG_N: '14' });
    platform = await createPlatform(config, createLogger(config), { mode: 'standalone', withDatabase: true, inMemoryDatabase: true });
    await runRegistryMigrations(platform.database!);
    const server = new InProcessRpcServer();
    registry = await startRegistry(platform, { strategy: server });
    rpc = new InProcessRpcClient(server);
    admin = await builtinAdminCaller(registry.app.get(DataSource));
  });
  afterAll(async () => {
    await registry?.close();
    await platform?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const ask = (request: unknown) => firstValueFrom(rpc.send<TokenRefs['response']>(REGISTRY_PATTERNS.tokenRefs, request as TokenRefs['request']));
  const makeToken = (name: string, user: string, n: number) =>
    registry.app.get(TokensService).create(admin, { name, user }, { token_hash: `${n}`.padStart(64, '0'), prefix: `myt_${n}abc`, last4: `${n}xyz` });

  it('answers the name, prefix and user of each token named, revoked ones included, leaving out ids of no token', async () => {
    const users = registry.app.get(UsersService);
    const alice = await users.create(admin, { username: 'alice', password: 'correct horse battery', role: 'user' });
    const bob = await users.create(admin, { username: 'bob', password: 'correct horse battery', role: 'user' });
    const ci = await makeToken('ci-pipeline', 'alice', 1);
    const laptop = await makeToken('laptop', 'bob', 2);
    await registry.app.get(TokensService).revoke(admin, laptop.id);

    const refs = await ask({ ids: [laptop.id.toUpperCase(), randomUUID(), ci.id, ci.id, 'not-a-uuid', 42] });

    // Exactly these fields: no hash, no last characters, no scopes.
    expect([...refs].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { id: ci.id, name: 'ci-pipeline', prefix: 'myt_1abc', user: { id: alice.id, username: 'alice' } },
      { id: laptop.id, name: 'laptop', prefix: 'myt_2abc', user: { id: bob.id, username: 'bob' } },
    ]);
    expect(await ask({ ids: [] })).toEqual([]);
  });

  it('refuses a request that is not a list of at most 1,000 ids with a 422 problem', async () => {
    await expect(ask({ ids: 'x' })).rejects.toMatchObject({ status: 422, errors: [{ field: 'ids', detail: 'must be an array of token ids' }] });
    await expect(ask({})).rejects.toMatchObject({ status: 422 });
    await expect(ask({ ids: Array.from({ length: 1_001 }, () => randomUUID()) })).rejects.toMatchObject({
      status: 422,
      errors: [{ field: 'ids', detail: 'must name at most 1000 tokens' }],
    });
  });
});
