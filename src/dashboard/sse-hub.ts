// Server-Sent Events to every open dashboard page: the whole state first (so a page opened mid-flight is
// complete), then each change; a page that cannot keep up is disconnected and reconnects to a fresh snapshot.
import type { ServerResponse } from 'node:http';
import type { DashboardEvent, Snapshot } from './dashboard-types.js';

export interface SseHubOptions {
  /** Bytes queued in a page's socket before it is dropped (its EventSource reconnects and starts over). */
  maxBufferedBytes: number;
  /** A comment line this often keeps proxies and the browser from timing the stream out. */
  heartbeatMs: number;
}

/** One SSE frame; JSON.stringify never emits a raw newline, so one data line is always enough. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class SseHub {
  /** Each page with the most bytes it may have queued: its snapshot (however large) plus maxBufferedBytes. */
  private readonly clients = new Map<ServerResponse, number>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly options: SseHubOptions) {
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), options.heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the response: headers, the snapshot, then every broadcast until the page goes away. */
  open(res: ServerResponse, snapshot: Snapshot): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    // An EventSource retries by itself; 2 s is quick enough for a dashboard restart.
    res.write('retry: 2000\n\n');
    res.write(frame('snapshot', snapshot));
    this.clients.set(res, res.writableLength + this.options.maxBufferedBytes);
    res.on('close', () => this.clients.delete(res));
  }

  broadcast(event: DashboardEvent): void {
    this.write(frame(event.type, event));
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients.keys()) res.end();
    this.clients.clear();
  }

  private write(chunk: string): void {
    for (const [res, limit] of this.clients) {
      if (res.writableLength > limit) {
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(chunk);
    }
  }
}
