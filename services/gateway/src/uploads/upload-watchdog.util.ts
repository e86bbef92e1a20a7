import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { UploadException } from './upload.exception.js';

/** How often the watchdog looks at the connection: a stall is noticed within the idle timeout plus this. */
const CHECKS_PER_TIMEOUT = 4;
const MAX_CHECK_INTERVAL_MS = 1_000;

/**
 * Ends an upload whose client stopped sending or went away, so the handler is never left waiting
 * on a body that will not come (and the model never stays `uploading`):
 *
 * - idle: no byte arrived on the connection for `idleMs` while the gateway was ready to read →
 *   the upload fails with 408. Time the gateway itself holds the body back (backpressure from a
 *   slow store, a registry call in progress) does not count, nor does the time after the whole
 *   body arrived (the client is done; what is left is the gateway's work).
 * - the connection closed before the answer → the upload fails at once.
 *
 * Either way the failure rejects `guard()`ed waits and destroys the `watch()`ed file stream, so the
 * store's put fails and the upload's clean-up runs. The connection is then closed after the answer:
 * the rest of an unread body must not be taken for the next request.
 */
export class UploadWatchdog {
  private failure: Error | null = null;
  private readonly failed: Promise<never>;
  private rejectFailed: (error: Error) => void = () => undefined;
  private readonly streams = new Set<Readable>();
  private readonly timer: NodeJS.Timeout;
  private lastBytesRead: number;
  private lastActivity: number;
  private disposed = false;

  constructor(
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.failed = new Promise<never>((_resolve, reject) => (this.rejectFailed = reject));
    // Observed by guard()'s race; an unguarded failure must not become an unhandled rejection.
    this.failed.catch(() => undefined);
    this.lastBytesRead = request.socket.bytesRead;
    this.lastActivity = now();
    this.timer = setInterval(() => this.check(), Math.min(MAX_CHECK_INTERVAL_MS, Math.max(10, Math.floor(idleMs / CHECKS_PER_TIMEOUT))));
    this.timer.unref();
    response.once('close', this.onClose);
  }

  /** The error the upload was ended with, if it was. */
  get error(): Error | null {
    return this.failure;
  }

  /** `work`, or the watchdog's failure if that comes first (waiting for the file part, for instance). */
  guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.failed]);
  }

  /** Destroys `stream` with the failure when there is one (at once if there already is). */
  watch(stream: Readable): void {
    // The consumer reports the failure; a stream it has finished with must not crash the process with it.
    stream.on('error', () => undefined);
    if (this.failure) stream.destroy(this.failure);
    else this.streams.add(stream);
  }

  /** The upload is over (answered): stops watching. */
  dispose(): void {
    this.disposed = true;
    clearInterval(this.timer);
    this.response.off('close', this.onClose);
    this.streams.clear();
  }

  /** Visible for tests: one look at the connection. */
  check(): void {
    if (this.failure || this.disposed) return;
    const bytesRead = this.request.socket.bytesRead;
    const heldBack = this.request.readableFlowing === false || this.request.complete;
    if (bytesRead !== this.lastBytesRead || heldBack) {
      this.lastBytesRead = bytesRead;
      this.lastActivity = this.now();
      return;
    }
    if (this.now() - this.lastActivity >= this.idleMs) this.fail(UploadException.idleTimeout(this.idleMs));
  }

  private readonly onClose = (): void => {
    // 'close' after the answer was written is the normal end of the exchange.
    if (!this.response.writableFinished) this.fail(UploadException.clientGone());
  };

  private fail(error: Error): void {
    this.failure = error;
    clearInterval(this.timer);
    if (!this.response.headersSent) this.response.setHeader('connection', 'close');
    this.rejectFailed(error);
    for (const stream of this.streams) stream.destroy(error);
    this.streams.clear();
  }
}
