// A loopback TCP proxy in front of a broker whose connections a test can cut, to simulate a lost radio link without touching the client.
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** mqtt://127.0.0.1:<port>, to hand to the client under test instead of the broker's own URL. */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far (a reconnect shows up as a new one). */
  readonly accepted: number;
  /** Destroys every open connection on both sides, like a link that dies: the broker sees no DISCONNECT. */
  cut(): void;
  /** While paused, new connections are accepted and closed at once (the link stays down). */
  setPaused(paused: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let paused = false;
  let accepted = 0;
  const server = createServer((inbound) => {
    accepted += 1;
    if (paused) {
      inbound.destroy();
      return;
    }
    const outbound = createConnection({ port: targetPort, host: targetHost });
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('startTcpProxy: no TCP address after listen');
  const { port } = address;
  const cut = (): void => {
    for (const [inbound, outbound] of pairs) {
      inbound.destroy();
      outbound.destroy();
    }
    pairs.clear();
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    cut,
    setPaused: (value) => {
      paused = value;
    },
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
