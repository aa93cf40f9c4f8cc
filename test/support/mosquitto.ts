// Starts a real Debian Mosquitto as a foreground child on a free loopback port for one test file, and stops it reliably.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, access } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export interface MosquittoOptions {
  /** Loopback port to listen on; default: a free one. Pass the port of a stopped broker to "restart" it. */
  port?: number;
  /**
   * Directory for the config and the persistence file; default: a fresh temp dir that stop() removes.
   * Pass the `dir` of a stopped broker to restart it with its persisted sessions; a dir you pass is kept.
   */
  dir?: string;
  /** Extra mosquitto.conf lines appended after the listener, e.g. `password_file /x` or `acl_file /y`. */
  extraConfig?: readonly string[];
  /** Set false to replace `allow_anonymous true` (then pass a password_file in extraConfig). */
  allowAnonymous?: boolean;
  /** How long to wait for "running" on stderr; default 10 s. */
  startTimeoutMs?: number;
}

export interface MosquittoBroker {
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Holds mosquitto.conf and mosquitto.db. */
  readonly dir: string;
  readonly pid: number;
  /** Everything the broker wrote to stderr so far (its log): handy in assertion messages. */
  log(): string;
  /** SIGTERM (re-sent until it exits), SIGKILL as a last resort; removes the temp dir unless you passed `dir`. */
  stop(): Promise<void>;
  /** SIGKILL at once: simulates a broker crash; persistence is NOT written (see NOTES). */
  kill(): Promise<void>;
}

/** A free loopback port: bind port 0, read it, release it (tiny race; start() retries on EADDRINUSE). */
export async function freeLoopbackPort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freeLoopbackPort: the OS returned no TCP address for port 0'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
  try {
    await access(MOSQUITTO_BIN, fsConstants.X_OK);
  } catch {
    throw new Error(`startMosquitto: ${MOSQUITTO_BIN} not found; run 'bash .ci/install-test-deps.sh' (or: apt-get install mosquitto)`);
  }
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'fieldeye-mosquitto-')));
  // A free port can be taken between probing and binding; only retry when we picked the port ourselves.
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = options.port ?? (await freeLoopbackPort());
    try {
      return await launch(dir, ownDir, port, options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof Error) || !/Address already in use/i.test(error.message)) break;
    }
  }
  if (ownDir) await rm(dir, { recursive: true, force: true });
  throw lastError;
}

async function launch(dir: string, ownDir: boolean, port: number, options: MosquittoOptions): Promise<MosquittoBroker> {
  const lines = [
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${options.allowAnonymous === false ? 'false' : 'true'}`,
    // As root Mosquitto drops to user "mosquitto", which cannot write into our 0700 temp dir.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    'persistence true',
    `persistence_location ${dir}/`,
    'log_dest stderr',
    ...(options.extraConfig ?? []),
  ];
  const configPath = join(dir, 'mosquitto.conf');
  await writeFile(configPath, `${lines.join('\n')}\n`);

  const child = spawn(MOSQUITTO_BIN, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`startMosquitto: no "running" on stderr within ${timeoutMs} ms; broker log:\n${stderr}`));
    }, timeoutMs);
    const onData = (): void => {
      if (/ running\b/.test(stderr)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(
        new Error(
          `startMosquitto: mosquitto exited during start (code ${String(code)}, signal ${String(signal)}) ` +
            `with config ${configPath}; broker log:\n${stderr}`,
        ),
      );
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new Error(`startMosquitto: cannot spawn ${MOSQUITTO_BIN}: ${error.message}`));
    };
    function cleanup(): void {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });

  let stopping: Promise<void> | undefined;
  const pid = child.pid ?? -1;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    pid,
    log: () => stderr,
    stop: () => {
      stopping ??= terminate(child, exited, 'SIGTERM').then(async () => {
        if (ownDir) await rm(dir, { recursive: true, force: true });
      });
      return stopping;
    },
    kill: () => {
      stopping ??= terminate(child, exited, 'SIGKILL').then(async () => {
        if (ownDir) await rm(dir, { recursive: true, force: true });
      });
      return stopping;
    },
  };
}

/**
 * Mosquitto ignores a SIGTERM sent right after it starts about 1 time in 4 (NOTES), so re-send it
 * every 100 ms, and SIGKILL after 5 s so a test run can never hang on a broker.
 */
async function terminate(child: ChildProcess, exited: Promise<void>, first: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(first);
  if (first === 'SIGKILL') {
    await exited;
    return;
  }
  const resend = setInterval(() => child.kill('SIGTERM'), 100);
  const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
  try {
    await exited;
  } finally {
    clearInterval(resend);
    clearTimeout(kill);
  }
}
