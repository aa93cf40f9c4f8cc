// Telemetry datagrams over UDP for the position sources (NMEA, MAVLink): binding, and the link's state from how long it has been silent.
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '../platform/logger.js';
import type { LinkState } from './track-lookup.js';

export interface UdpTelemetryOptions {
  host: string;
  port: number;
  /** The config path named in a startup error ("position.nmea"). */
  configPath: string;
  /** The protocol, for messages ("NMEA"). */
  protocol: string;
  onDatagram: (bytes: Buffer, receivedMs: number) => void;
  logger?: Logger;
}

/** Binds, or rejects with a startup error naming the config path; after binding, socket errors are only logged. */
export function listenUdpTelemetry(options: UdpTelemetryOptions): Promise<Socket> {
  const { host, port, protocol } = options;
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (bytes) => options.onDatagram(bytes, Date.now()));
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => reject(new Error(`${options.configPath}: cannot listen for ${protocol} on udp://${host}:${port}: ${err.message}`)));
    socket.bind(port, host, () => {
      // After binding, a socket error is a link problem, logged, never a crash.
      socket.removeAllListeners('error');
      socket.on('error', (err) => options.logger?.warn({ err: err.message }, `${protocol} UDP socket error`));
      resolve(socket);
    });
  });
}

export function closeUdpTelemetry(socket: Socket | null): Promise<void> {
  return socket ? new Promise<void>((resolve) => socket.close(() => resolve())) : Promise.resolve();
}

/** Up while data came within timeoutMs; down before the first datagram or after a longer silence, saying which. */
export function linkFromSilence(
  lastDataMs: number | null,
  openedMs: number,
  timeoutMs: number,
  words: { nothingYet: string; silentFor: (ms: number) => string },
): LinkState {
  if (lastDataMs === null) return { state: 'down', sinceMs: openedMs, detail: words.nothingYet };
  const silentMs = Date.now() - lastDataMs;
  return silentMs > timeoutMs
    ? { state: 'down', sinceMs: lastDataMs, detail: words.silentFor(silentMs) }
    : { state: 'up', sinceMs: lastDataMs, detail: 'receiving' };
}
