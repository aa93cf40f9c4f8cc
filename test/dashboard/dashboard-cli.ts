// Test helper: starts the real `fieldeye dashboard` CLI (compiled dist/) as a child process and reads the
// address it prints; stop() sends SIGTERM and waits for a clean exit.
import { spawn } from 'node:child_process';
import { CLI, REPO_ROOT } from '../support/run-cli.js';

export interface DashboardProcess {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  readonly pid: number;
  /** Everything it printed so far: the start line, and nothing else that may hold a secret. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code (SIGKILL after 10 s so a test run never hangs). */
  stop(): Promise<number | null>;
}

export function startDashboardCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<DashboardProcess> {
  const child = spawn(process.execPath, [CLI, 'dashboard', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, FIELDEYE_DASHBOARD_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dashboard printed no address within 60 s; stdout: ${stdout}\nstderr: ${stderr}`));
    }, 60_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`dashboard exited (code ${String(code)}) before printing its address; stderr: ${stderr}`));
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const url = /fieldeye dashboard: (http:\/\/\S+\/)/.exec(stdout)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      resolve({
        url,
        pid: child.pid ?? -1,
        stdout: () => stdout,
        stderr: () => stderr,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
          const code = await exited;
          clearTimeout(kill);
          return code;
        },
      });
    });
  });
}
