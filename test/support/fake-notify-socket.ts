// Test helper: a fake systemd NOTIFY_SOCKET (a unix datagram socket; Node cannot open one, so Debian's
// python3 listens) that records every sd_notify message systemd-notify sends.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const LISTENER = `
import socket, sys, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    # recvmsg without room for ancillary data: passed fds (systemd-notify's barrier pipe) are closed by the kernel,
    # which is exactly what releases the barrier.
    data, _anc, _flags, _addr = s.recvmsg(65536)
    print(json.dumps(data.decode()), flush=True)
`;

export interface FakeNotifySocket {
  path: string;
  messages: string[];
  /** Resolves once a message matching `pattern` has arrived (or rejects after timeoutMs). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

export async function startFakeNotifySocket(): Promise<FakeNotifySocket> {
  const path = join(mkdtempSync(join(tmpdir(), 'fieldeye-notify-')), 'notify.sock');
  const child: ChildProcess = spawn('/usr/bin/python3', ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  const waiters = new Set<() => void>();
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    lines.on('line', (line) => {
      if (line === 'ready') return resolve();
      messages.push(JSON.parse(line) as string);
      for (const w of waiters) w();
    });
  });
  return {
    path,
    messages,
    waitFor(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = messages.find((m) => pattern.test(m));
          if (hit === undefined) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no notify message matching ${pattern}; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close() {
      child.kill('SIGKILL');
    },
  };
}
