// Who may reach `fieldeye dashboard` (the real CLI): no token on a network address is refused at start, the token
// exchange only redirects on the dashboard, any case of "Bearer" works, and a broker password is never shown.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/dashboard/dashboard-types.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { runCli } from '../support/run-cli.js';
import { until } from '../support/until.js';
import { startDashboardCli, type DashboardProcess } from './dashboard-cli.js';

const NO_BROKER = 'mqtt://127.0.0.1:1';
const NO_TOKEN = { FIELDEYE_DASHBOARD_TOKEN: '' };

/** A request with the path sent exactly as written: fetch and http.request(url) would resolve `/./` first. */
function rawGet(base: string, path: string, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(base);
  return new Promise<{ status: number; text: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ host: hostname.replace(/^\[|\]$/g, ''), port, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The first event the page receives: the whole state, as the event stream sends it. */
async function firstEvent(base: string): Promise<string> {
  const abort = new AbortController();
  const res = await fetch(`${base}events`, { signal: abort.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!/event: snapshot\ndata: .*\n\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  abort.abort();
  return text;
}

const running: DashboardProcess[] = [];
async function start(args: string[], env: NodeJS.ProcessEnv = NO_TOKEN): Promise<DashboardProcess> {
  const dashboard = await startDashboardCli(args, env);
  running.push(dashboard);
  return dashboard;
}
afterEach(async () => {
  for (const dashboard of running.splice(0)) await dashboard.stop();
});

describe('fieldeye dashboard on a network address', () => {
  it('refuses to start without a token, naming the host and the ways out', async () => {
    for (const host of ['0.0.0.0', '::', '10.255.255.1', 'gs.local']) {
      // Short timeout: a dashboard that starts anyway would otherwise serve until runCli gives up.
      const run = await runCli(['dashboard', '--broker', NO_BROKER, '--port', '0', '--host', host], NO_TOKEN, 20_000);
      expect(run.stderr, host).toBe(
        `fieldeye: dashboard.host (--host): ${host} is not a loopback address, and no access token is set, so anyone who can reach it ` +
          'would see the flight; set FIELDEYE_DASHBOARD_TOKEN (dashboard.tokenEnv) or pass --token, listen on 127.0.0.1, or, to serve it ' +
          'to everyone on that network anyway, pass --insecure-no-token (dashboard.insecureNoToken: true)\n',
      );
      expect(run.code, host).toBe(78);
      expect(run.stdout, host).toBe('');
    }
  }, 120_000);

  it('starts on loopback (127.0.0.0/8, ::1, localhost) without a token', async () => {
    for (const host of ['127.0.0.2', '::1', 'localhost']) {
      const dashboard = await start(['--broker', NO_BROKER, '--host', host]);
      expect((await rawGet(dashboard.url, '/api/state')).status, host).toBe(200);
      expect(dashboard.stderr(), host).not.toMatch(/INSECURE/);
    }
  });

  it('starts with a token, or with the loudly named opt-out (flag or config key), which it warns about', async () => {
    const guarded = await start(['--broker', NO_BROKER, '--host', '0.0.0.0'], { FIELDEYE_DASHBOARD_TOKEN: 'field-day-7' });
    expect((await rawGet(guarded.url, '/api/state')).status).toBe(401);
    expect((await rawGet(guarded.url, '/api/state', { authorization: 'Bearer field-day-7' })).status).toBe(200);

    const byFlag = await start(['--broker', NO_BROKER, '--host', '0.0.0.0', '--insecure-no-token']);
    const byConfig = await start(['--broker', NO_BROKER, '--host', '0.0.0.0'], { ...NO_TOKEN, FIELDEYE__dashboard__insecureNoToken: 'true' });
    for (const open of [byFlag, byConfig]) {
      expect((await rawGet(open.url, '/api/state')).status).toBe(200);
      await until('the INSECURE warning on stderr', () => /dashboard: INSECURE: listening on 0\.0\.0\.0 without an access token/.test(open.stderr()));
    }
  });
});

describe('fieldeye dashboard token exchange and Authorization header', () => {
  it('sends the browser only to a path on the dashboard after ?token=', async () => {
    const dashboard = await start(['--broker', NO_BROKER], { FIELDEYE_DASHBOARD_TOKEN: 'field-day-7' });
    const redirects: Record<string, string> = {
      // The URL parser drops the `.` segment: the path would be //evil.example/, another host to a browser.
      '/.//evil.example/?token=field-day-7': '/evil.example/',
      '/%2e//evil.example/?token=field-day-7': '/evil.example/',
      '/./\\evil.example/?token=field-day-7': '/evil.example/',
      '/..///evil.example/x?token=field-day-7&y=1': '/evil.example/x?y=1',
      '//evil.example/?token=field-day-7': '/',
      '/app/?token=field-day-7&y=1': '/app/?y=1',
      '/?token=field-day-7': '/',
    };
    for (const [path, location] of Object.entries(redirects)) {
      const res = await rawGet(dashboard.url, path);
      expect(res.status, path).toBe(303);
      expect(res.headers['location'], path).toBe(location);
    }
  });

  it('takes the Bearer scheme in any case (RFC 7235), and only with the token', async () => {
    const dashboard = await start(['--broker', NO_BROKER], { FIELDEYE_DASHBOARD_TOKEN: 'field-day-7' });
    for (const authorization of ['Bearer field-day-7', 'bearer field-day-7', 'BEARER field-day-7', 'bEaReR  field-day-7']) {
      expect((await rawGet(dashboard.url, '/api/state', { authorization })).status, authorization).toBe(200);
    }
    for (const authorization of ['Bearer field-day-8', 'Basic field-day-7', 'Bearerfield-day-7', 'field-day-7']) {
      expect((await rawGet(dashboard.url, '/api/state', { authorization })).status, authorization).toBe(401);
    }
  });
});

describe('fieldeye dashboard with a password in the broker URL', () => {
  const password = 'pw-in-the-url-never-shown';
  let secured: MosquittoBroker;
  let passwordDir: string;

  beforeAll(async () => {
    // Debian's own mosquitto_passwd writes the hashed password file; no anonymous access, so "up" proves the password was used.
    passwordDir = await mkdtemp(join(tmpdir(), 'fieldeye-dashboard-passwd-'));
    const passwordFile = join(passwordDir, 'passwd');
    await promisify(execFile)('/usr/bin/mosquitto_passwd', ['-c', '-b', passwordFile, 'ground', password]);
    secured = await startMosquitto({ allowAnonymous: false, extraConfig: [`password_file ${passwordFile}`] });
  });
  afterAll(async () => {
    await secured?.stop();
    await rm(passwordDir, { recursive: true, force: true });
  });

  it('subscribes with it but never prints it, logs it or sends it to the page', async () => {
    const brokerUrl = secured.url.replace('mqtt://', `mqtt://ground:${password}@`);
    const dashboard = await start(['--broker', brokerUrl], { ...NO_TOKEN, FIELDEYE__log__level: 'debug' });
    let state: string;
    for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 100))) {
      state = (await rawGet(dashboard.url, '/api/state')).text;
      if ((JSON.parse(state) as Snapshot).broker.state === 'up') break;
      if (Date.now() > deadline)
        throw new Error(`the dashboard never subscribed through the authenticating broker; state: ${state}\nbroker log: ${secured.log()}`);
    }
    const events = await firstEvent(dashboard.url);

    expect(dashboard.stdout()).toContain(`; broker ${secured.url.replace('mqtt://', 'mqtt://ground:redacted@')}\n`);
    expect((JSON.parse(state) as Snapshot).broker.url).toBe(secured.url.replace('mqtt://', 'mqtt://ground:redacted@'));
    expect(events).toContain('event: snapshot');
    for (const [what, text] of Object.entries({ stdout: dashboard.stdout(), stderr: dashboard.stderr(), state, events })) {
      expect(text, what).not.toContain(password);
    }

    // Refused at start-up: the error quotes what it received, still without the password (here with no scheme).
    const bad = await runCli(['dashboard', '--port', '0', '--broker', `ground:${password}@127.0.0.1:${secured.port}`], NO_TOKEN, 20_000);
    expect(bad.stderr).toBe(`fieldeye: --broker: expected a broker URL such as mqtt://host:1883, received "ground:redacted@127.0.0.1:${secured.port}"\n`);
    expect(bad.code).toBe(78);
  });
});
