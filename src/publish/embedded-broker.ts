// An in-process MQTT 3.1.1 broker (aedes) on loopback, for the demo and for flights with no ground-station broker configured.
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../platform/logger.js';

export interface EmbeddedBrokerOptions {
  /** Loopback only: the embedded broker has no authentication, so it must never face a network. */
  host: '127.0.0.1';
  /** 0 = any free port. */
  port: number;
}

export interface EmbeddedBroker {
  /** mqtt://127.0.0.1:<port>; clients must connect with protocolVersion 4 (aedes refuses MQTT 5). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions, logger: Logger): Promise<EmbeddedBroker> {
  // The type says '127.0.0.1', but a config loaded at run time may carry anything.
  if (options.host !== '127.0.0.1') {
    throw new Error(
      `embedded broker: host must be 127.0.0.1 (received ${String(options.host)}); ` + 'it has no authentication, so expose a real broker (Mosquitto) instead',
    );
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
    throw new Error(`embedded broker: port must be an integer 0-65535, 0 for any free port (received ${String(options.port)})`);
  }

  const broker = await Aedes.createBroker();
  broker.on('clientError', (client, error) => {
    logger.debug({ clientId: client.id, err: error.message }, 'embedded broker: client error');
  });
  broker.on('connectionError', (_client, error) => {
    logger.debug({ err: error.message }, 'embedded broker: connection error');
  });

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    const cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`embedded broker: cannot listen on ${options.host}:${options.port} (${cause}); ` + 'choose another port or use 0 for any free port', {
      cause: error,
    });
  }

  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('embedded broker: the server has no TCP address after listen; this is a bug');
  }
  const { port } = address;
  const url = `mqtt://${options.host}:${port}`;
  logger.info({ url }, 'embedded MQTT broker listening (MQTT 3.1.1, loopback only)');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Stop accepting first, then let aedes close its clients; sockets it does not know of yet
      // (mid-handshake) would otherwise keep server.close() waiting forever.
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await serverClosed;
      logger.info({ url }, 'embedded MQTT broker closed');
    })();
    return closing;
  };

  return { url, port, close };
}
