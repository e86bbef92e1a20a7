import { ClientProxy, type CustomTransportStrategy, type ReadPacket, Server, type WritePacket } from '@nestjs/microservices';
import { BaseRpcContext } from '@nestjs/microservices';

const NO_HANDLER = 'There is no matching message handler defined in the remote service.';

/**
 * The standalone twin of the TCP transport: the gateway's ClientProxy calls the registry's message
 * handlers in the same process. Requests and responses are copied through JSON exactly as TCP
 * would carry them (dates become strings, classes become plain objects), so a handler behaves
 * the same whichever transport it sits behind; Nest's pipes, guards and filters still wrap it.
 */
export class InProcessRpcServer extends Server implements CustomTransportStrategy {
  private listening = false;

  listen(callback: () => void): void {
    this.listening = true;
    callback();
  }

  close(): void {
    this.listening = false;
  }

  on(): never {
    throw new Error('InProcessRpcServer has no events to listen to');
  }

  unwrap<T>(): T {
    return this as unknown as T;
  }

  /** Runs one request through the handler for its pattern, answering like ServerTCP does. */
  dispatch(packet: ReadPacket & { id: string }, respond: (data: WritePacket) => void): void {
    if (!this.listening) {
      respond({ err: new Error('the in-process RPC server is not listening'), isDisposed: true });
      return;
    }
    const pattern = this.getPatternAsString(packet.pattern);
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) {
      respond({ err: NO_HANDLER, isDisposed: true });
      return;
    }
    const context = new BaseRpcContext([pattern]);
    this.handleRequest(
      context,
      async () => this.transformToObservable(await handler(wireCopy(packet.data), context)),
      (data) => respond(wireCopy(data) as WritePacket),
    );
  }
}

export class InProcessRpcClient extends ClientProxy {
  constructor(private readonly server: InProcessRpcServer) {
    super();
  }

  async connect(): Promise<void> {}

  close(): void {}

  unwrap<T>(): T {
    return this.server as unknown as T;
  }

  protected publish(partialPacket: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const packet = this.assignPacketId(partialPacket);
    let disposed = false;
    // Answer on a later tick, as a socket would: a caller never sees a synchronous reply.
    queueMicrotask(() => this.server.dispatch(packet, (data) => !disposed && callback(data)));
    return () => {
      disposed = true;
    };
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const handler = this.server.getHandlerByPattern(this.normalizePattern(packet.pattern));
    if (handler) await handler(wireCopy(packet.data), new BaseRpcContext([packet.pattern]));
    return undefined as T;
  }
}

function wireCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
