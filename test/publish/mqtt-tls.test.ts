// MqttLink over TLS against a real Mosquitto with a test CA and a client certificate made here with openssl; config files are read by mqttLinkOptionsFrom.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig, resolveConfigPaths } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/platform/logger.js';
import { MqttLink } from '../../src/publish/mqtt-link.js';
import { mqttLinkOptionsFrom } from '../../src/app/open-publishing.js';
import { freeLoopbackPort, startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startCollector } from '../support/mqtt-collector.js';
import { sampleResult } from './sample-result.js';

const run = promisify(execFile);
let dir: string;
let broker: MosquittoBroker;
let tlsUrl: string;

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** key + certificate signed by the test CA; `ext` lines go into the certificate (SAN, usage). */
async function issue(name: string, subject: string, ext: string): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
  await openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldeye-tls-'));
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-subj', '/CN=fieldeye test CA', '-days', '2', '-out', 'ca.crt');
  await issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth');
  await issue('client', '/CN=drone-tls', 'extendedKeyUsage=clientAuth');
  // A second CA the broker does not trust, to show a wrong CA file is named in the error.
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-subj', '/CN=other CA', '-days', '2', '-out', 'other.crt');
  const port = await freeLoopbackPort();
  broker = await startMosquitto({
    extraConfig: [
      `listener ${port} 127.0.0.1`,
      `cafile ${join(dir, 'ca.crt')}`,
      `certfile ${join(dir, 'server.crt')}`,
      `keyfile ${join(dir, 'server.key')}`,
      'require_certificate true',
    ],
  });
  tlsUrl = `mqtts://127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function optionsFromConfig(tls: Record<string, string>) {
  // Relative paths, as an operator would write them next to the config file.
  const config = resolveConfigPaths(validateConfig({ droneId: 'drone-tls', sinks: { mqtt: { url: tlsUrl, connectTimeoutMs: 5_000, tls } } }, 'test'), dir);
  return mqttLinkOptionsFrom(config, {}, tlsUrl, 5);
}

describe('MqttLink over TLS (mqtts://) with a client certificate', () => {
  it('connects with the CA and the client certificate from the config and delivers a result', async () => {
    const collector = await startCollector(broker.url, 'fieldeye/v1/drone-tls/result');
    const sink = await MqttLink.connect(optionsFromConfig({ caFile: 'ca.crt', certFile: 'client.crt', keyFile: 'client.key' }), silentLogger);
    await sink.publishResult(sampleResult(0));
    const got = await collector.waitFor(1, 2_000);
    await sink.close();
    await collector.close();
    expect(got.map((m) => (JSON.parse(m.text) as { seq: number }).seq)).toEqual([0]);
  });

  it('names the CA setting when the broker certificate does not verify', async () => {
    await expect(MqttLink.connect(optionsFromConfig({ caFile: 'other.crt', certFile: 'client.crt', keyFile: 'client.key' }), silentLogger)).rejects.toThrow(
      new RegExp(
        `^mqtt: TLS handshake with broker ${tlsUrl.replaceAll('.', '\\.')} failed \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY): .*\\); check sinks\\.mqtt\\.tls\\.caFile`,
      ),
    );
  });

  it('fails clearly without the client certificate the broker requires', async () => {
    const attempt = MqttLink.connect(optionsFromConfig({ caFile: 'ca.crt' }), silentLogger);
    // The broker's TLS alert (certificate required) is named, and so are the keys that fix it.
    await expect(attempt).rejects.toThrow(
      /^mqtt: TLS handshake with broker .* failed \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: [\s\S]*sinks\.mqtt\.tls\.certFile\/keyFile when the broker requires a client certificate$/,
    );
  });

  it('refuses a missing PEM file or a certificate without its key at startup, naming the key', () => {
    expect(() => optionsFromConfig({ caFile: 'nope.crt' })).toThrow(
      `sinks.mqtt.tls.caFile: cannot read ${join(dir, 'nope.crt')} (ENOENT); point it at a PEM file or set it to ""`,
    );
    expect(() => optionsFromConfig({ certFile: 'client.crt' })).toThrow(/^sinks\.mqtt\.tls: certFile and keyFile go together/);
  });
});
