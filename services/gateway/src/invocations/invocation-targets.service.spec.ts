import { describe, expect, it, jest } from '@jest/globals';
import type { ModelDto } from '@modelyard/contracts';
import { loadConfig, type RegistryClient } from '@modelyard/platform';
import { InvocationTargetsService } from './invocation-targets.service.js';

const ID = '6f1c1d4e-2b1a-4c44-9a55-0c6f0a2b9e10';

function setUp(ttlMs: number) {
  let status: ModelDto['status'] = 'active';
  // While set, a lookup reads the status, then waits here: the test changes the model meanwhile.
  let gate: { opened: Promise<void>; open: () => void } | undefined;
  const send = jest.fn(async () => {
    const snapshot = status;
    await gate?.opened;
    return { model: { id: ID, status: snapshot } as ModelDto, sealed_secret: null, secret_origin: null };
  });
  const targets = new InvocationTargetsService({ send } as unknown as RegistryClient, loadConfig({ MODELYARD_MODEL_CACHE_TTL_MS: String(ttlMs) }));
  return {
    targets,
    send,
    setStatus: (next: ModelDto['status']) => void (status = next),
    holdNextLookup: () => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      gate = { opened, open };
    },
    releaseLookup: () => {
      gate?.open();
      gate = undefined;
    },
  };
}

describe('InvocationTargetsService', () => {
  it('reads an active model once within the time to live', async () => {
    const { targets, send } = setUp(60_000);
    await targets.get(ID);
    await targets.get(ID);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('asks again for a model that is not active, so one that just became active is seen at once', async () => {
    const { targets, send, setStatus } = setUp(60_000);
    setStatus('inactive');
    expect((await targets.get(ID)).model.status).toBe('inactive');
    setStatus('active');
    expect((await targets.get(ID)).model.status).toBe('active');
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('drops a model changed through this gateway, and does not keep a lookup that overlapped the change', async () => {
    const { targets, send, setStatus, holdNextLookup, releaseLookup } = setUp(60_000);
    await targets.get(ID);
    setStatus('inactive');
    targets.forget(ID);
    expect((await targets.get(ID)).model.status).toBe('inactive');

    setStatus('active');
    holdNextLookup();
    const inFlight = targets.get(ID);
    await new Promise((resolve) => setImmediate(resolve));
    setStatus('inactive');
    targets.forget(ID);
    releaseLookup();
    expect((await inFlight).model.status).toBe('active');
    // The overlapping answer was not kept: the next call sees the change.
    expect((await targets.get(ID)).model.status).toBe('inactive');
    expect(send).toHaveBeenCalledTimes(4);
  });

  it('shares one lookup between calls that arrive together', async () => {
    const { targets, send, holdNextLookup, releaseLookup } = setUp(60_000);
    holdNextLookup();
    const calls = Promise.all([targets.get(ID), targets.get(ID), targets.get(ID)]);
    await new Promise((resolve) => setImmediate(resolve));
    releaseLookup();
    await calls;
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('asks every time with a time to live of 0', async () => {
    const { targets, send } = setUp(0);
    await targets.get(ID);
    await targets.get(ID);
    expect(send).toHaveBeenCalledTimes(2);
  });
});
