import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DomainException } from '@modelyard/platform';
import { UploadWatchdog } from './upload-watchdog.util.js';

const IDLE_MS = 1_000;

/** The parts of a request and its response the watchdog reads, driven by hand; time is a variable. */
function setUp() {
  const request = Object.assign(new EventEmitter(), { socket: { bytesRead: 100 }, readableFlowing: true as boolean | null, complete: false });
  const headers = new Map<string, string>();
  const response = Object.assign(new EventEmitter(), {
    headersSent: false,
    writableFinished: false,
    setHeader: (name: string, value: string) => void headers.set(name, value),
  });
  let now = 0;
  const watchdog = new UploadWatchdog(request as unknown as IncomingMessage, response as unknown as ServerResponse, IDLE_MS, () => now);
  const at = (ms: number) => {
    now = ms;
    watchdog.check();
  };
  return { request, response, headers, watchdog, at };
}

let live: UploadWatchdog[] = [];
afterEach(() => {
  for (const watchdog of live) watchdog.dispose();
  live = [];
});
const watched = (context: ReturnType<typeof setUp>) => (live.push(context.watchdog), context);

const failureOf = async (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

describe('UploadWatchdog', () => {
  it('fails with 408 naming the limit and its variable once no byte arrived for the idle timeout', async () => {
    const { watchdog, at, headers } = watched(setUp());
    const waiting = watchdog.guard(new Promise<never>(() => undefined));

    at(999);
    expect(watchdog.error).toBeNull();
    at(1_000);

    const error = await failureOf(waiting);
    expect(error).toBeInstanceOf(DomainException);
    expect(error).toMatchObject({ status: 408, code: 'upload_idle_timeout' });
    expect((error as DomainException).detail).toContain('1000 ms (MODELYARD_UPLOAD_IDLE_TIMEOUT_MS)');
    // The unread rest of the body must not be parsed as the next request.
    expect(headers.get('connection')).toBe('close');
  });

  it('counts from the last byte received, not from the start', () => {
    const { watchdog, at, request } = watched(setUp());

    at(500);
    request.socket.bytesRead += 10;
    // Seen at the next look: the clock restarts from there.
    at(900);
    at(1_899);
    expect(watchdog.error).toBeNull();
    at(1_900);
    expect(watchdog.error).toMatchObject({ status: 408 });
  });

  it('does not count time the gateway holds the body back, nor time after the whole body arrived', () => {
    const { watchdog, at, request } = watched(setUp());

    // Backpressure: the store is slower than the client, so the request is paused.
    request.readableFlowing = false;
    at(5_000);
    request.readableFlowing = true;
    at(5_999);
    expect(watchdog.error).toBeNull();

    // The client sent everything; waiting on the registry now is the gateway's own time.
    request.complete = true;
    at(60_000);
    expect(watchdog.error).toBeNull();
  });

  it('destroys the watched file stream with the failure, so the store stops waiting for it', async () => {
    const { watchdog, at } = watched(setUp());
    const file = new PassThrough();
    const ended = new Promise<unknown>((resolve) => file.once('error', resolve));
    watchdog.watch(file);

    at(1_000);

    expect(await ended).toBe(watchdog.error);
    expect(file.destroyed).toBe(true);
    // A stream handed over after the failure is destroyed at once.
    const late = new PassThrough();
    late.on('error', () => undefined);
    watchdog.watch(late);
    expect(late.destroyed).toBe(true);
  });

  it('fails at once when the connection closes before the answer', async () => {
    const { watchdog, response } = watched(setUp());
    const waiting = watchdog.guard(new Promise<never>(() => undefined));

    response.emit('close');

    expect(await failureOf(waiting)).toMatchObject({ code: 'upload_client_gone' });
  });

  it('takes a close after the answer was written for the normal end', () => {
    const { watchdog, response } = watched(setUp());

    response.writableFinished = true;
    response.emit('close');

    expect(watchdog.error).toBeNull();
  });

  it('lets the guarded work through when it finishes first, and stops watching once disposed', async () => {
    const { watchdog, at } = watched(setUp());

    await expect(watchdog.guard(Promise.resolve('file'))).resolves.toBe('file');
    watchdog.dispose();
    at(10_000);

    expect(watchdog.error).toBeNull();
  });
});
