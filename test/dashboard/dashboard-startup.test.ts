// `fieldeye dashboard` start-up errors: each names what is wrong, what it received and what to do, and exits non-zero (78 for a configuration fault).
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

describe('fieldeye dashboard start-up errors', () => {
  it('without a broker says the three ways to name one', async () => {
    const run = await runCli(['dashboard', '--port', '0'], { FIELDEYE__sinks__mqtt__url: '' });
    expect(run.code).toBe(78);
    expect(run.stderr).toBe(
      'fieldeye: dashboard: no broker to subscribe to: pass --broker mqtt://host:1883, set sinks.mqtt.url in --config, or pass --embedded-broker\n',
    );
  });

  it('refuses --broker with --embedded-broker, a bad broker URL, a tile value that is neither URL nor folder, a bad port', async () => {
    const both = await runCli(['dashboard', '--broker', 'mqtt://127.0.0.1:1', '--embedded-broker']);
    expect(both.stderr).toMatch(/^fieldeye: --broker and --embedded-broker: choose one/);
    const badUrl = await runCli(['dashboard', '--broker', 'localhost:1883', '--port', '0']);
    expect(badUrl.stderr).toBe('fieldeye: --broker: expected a broker URL such as mqtt://host:1883, received "localhost:1883"\n');
    const tiles = await runCli(['dashboard', '--broker', 'mqtt://127.0.0.1:1', '--port', '0', '--tiles', '/nonexistent/tiles']);
    expect(tiles.stderr).toBe(
      'fieldeye: dashboard.tiles (--tiles): "/nonexistent/tiles" is neither an http(s) tile URL template nor an existing folder of <z>/<x>/<y>.png tiles nor an .mbtiles or .pmtiles file\n',
    );
    const port = await runCli(['dashboard', '--broker', 'mqtt://127.0.0.1:1', '--port', '70000']);
    expect(port.stderr).toBe('fieldeye: --port: expected a port between 0 and 65535 (0 = any free port), received 70000\n');
    // Configuration faults exit 78 (EX_CONFIG, not restarted by systemd); misused options 1.
    for (const run of [badUrl, tiles]) expect(run.code).toBe(78);
    for (const run of [both, port]) expect(run.code).toBe(1);
  });

  it('names the address when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const run = await runCli(['dashboard', '--broker', 'mqtt://127.0.0.1:1', '--port', String(port)]);
      expect(run.code).toBe(78);
      expect(run.stderr).toContain(
        `fieldeye: dashboard: cannot listen on 127.0.0.1:${port} (EADDRINUSE); choose another --port / dashboard.port (0 = any free port)`,
      );
    } finally {
      taken.close();
    }
  });
});
