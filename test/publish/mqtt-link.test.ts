// MqttLink against a real Mosquitto: QoS 1 delivery, schema gate, retained status and Last Will, clear connect errors.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../src/platform/logger.js';
import { MqttLink } from '../../src/publish/mqtt-link.js';
import type { MqttLinkOptions } from '../../src/publish/mqtt-link-options.js';
import { ResultSchema } from '../../src/publish/result-schema.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { collectMessages, startCollector } from '../support/mqtt-collector.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { sampleResult } from './sample-result.js';

let broker: MosquittoBroker;
let testNo = 0;

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

/** Each test gets its own drone prefix and client id, so retained messages never leak between tests. */
function optionsFor(url: string, extra: Partial<MqttLinkOptions> = {}): MqttLinkOptions {
  testNo += 1;
  const drone = `drone-${process.pid}-${testNo}`;
  return {
    url,
    protocolVersion: 5,
    clientId: `fieldeye-${drone}`,
    topicPrefix: `fieldeye/v1/${drone}/`,
    connectTimeoutMs: 5_000,
    keepaliveS: 30,
    ...extra,
  };
}

/** A logger whose every line is kept, to check what the sink says (and that it never says the password). */
function capturingLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => chunks.join('') };
}

describe('MqttLink with Mosquitto (MQTT 5)', () => {
  it('publishes every result exactly once on <prefix>result with QoS 1 and a schema-valid JSON payload', async () => {
    const options = optionsFor(broker.url);
    const collector = await startCollector(broker.url, `${options.topicPrefix}result`);
    const sink = await MqttLink.connect(options, silentLogger);
    expect(sink.resultTopic).toBe(`${options.topicPrefix}result`);

    const count = 25;
    await Promise.all(Array.from({ length: count }, (_, seq) => sink.publishResult(sampleResult(seq))));
    // Wait for one more than sent: a duplicate would show up here.
    const messages = await collector.waitFor(count + 1, 1_000);
    await sink.close();
    await collector.close();

    expect(messages).toHaveLength(count);
    for (const message of messages) {
      expect(message.topic).toBe(`${options.topicPrefix}result`);
      expect(message.qos).toBe(1);
      expect(message.retain).toBe(false);
      expect(message.properties?.['contentType']).toBe('application/json');
    }
    const results = messages.map((message) => ResultSchema.parse(JSON.parse(message.text)));
    expect(results.map((result) => result.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(results.find((result) => result.seq === 7)).toEqual(sampleResult(7));
  });

  it('refuses a result that fails the schema, names its seq and the field, and never publishes it', async () => {
    const options = optionsFor(broker.url);
    const collector = await startCollector(broker.url, `${options.topicPrefix}result`);
    const sink = await MqttLink.connect(options, silentLogger);

    const bad = sampleResult(3, { top: [{ index: 0, label: 'crop', score: 1.7 }] });
    await expect(sink.publishResult(bad)).rejects.toThrow(
      'mqtt: result seq 3 is not a valid payload, not published: top[0].score: Too big: expected number to be <=1; ' +
        'fix the stage that produced this field (schema: src/publish/result-schema.ts)',
    );
    const extraKey = { ...sampleResult(4), debug: true } as unknown as ReturnType<typeof sampleResult>;
    await expect(sink.publishResult(extraKey)).rejects.toThrow(
      /^mqtt: result seq 4 is not a valid payload, not published: \(root\): Unrecognized key: "debug"/,
    );
    // A valid result after the bad ones: it arrives, and it is the only thing that does.
    await sink.publishResult(sampleResult(5));
    const messages = await collector.waitFor(2, 1_000);
    await sink.close();
    await collector.close();

    expect(messages.map((message) => (JSON.parse(message.text) as { seq: number }).seq)).toEqual([5]);
  });

  it('keeps a retained status: online while connected, offline after close', async () => {
    const options = optionsFor(broker.url);
    const statusTopic = `${options.topicPrefix}status`;
    const live = await startCollector(broker.url, statusTopic);
    const sink = await MqttLink.connect(options, silentLogger);
    expect(sink.statusTopic).toBe(statusTopic);

    // A subscriber that arrives later gets the retained state.
    const whileUp = await collectMessages(broker.url, statusTopic, 1, 2_000);
    expect(whileUp.map((m) => [m.text, m.retain, m.qos])).toEqual([['online', true, 1]]);

    await sink.close();
    const afterClose = await collectMessages(broker.url, statusTopic, 1, 2_000);
    expect(afterClose.map((m) => [m.text, m.retain])).toEqual([['offline', true]]);

    // The live subscriber saw the transitions in order, and nothing else (no Last Will after a clean close).
    const seen = await live.waitFor(3, 500);
    await live.close();
    expect(seen.map((m) => m.text)).toEqual(['online', 'offline']);
  });

  it('leaves a retained offline Last Will when the link dies, and goes online again after reconnecting', async () => {
    const proxy = await startTcpProxy(broker.port);
    // keepalive 1 s bounds how long the client takes to notice the link is gone.
    const options = optionsFor(proxy.url, { keepaliveS: 1 });
    const statusTopic = `${options.topicPrefix}status`;
    const live = await startCollector(broker.url, statusTopic);
    const sink = await MqttLink.connect(options, silentLogger);
    expect((await live.waitFor(1, 2_000)).map((m) => m.text)).toEqual(['online']);

    // The link dies and stays down: the broker sees no DISCONNECT and publishes the Last Will.
    proxy.setPaused(true);
    proxy.cut();
    expect((await live.waitFor(2, 5_000)).map((m) => m.text)).toEqual(['online', 'offline']);
    const retained = await collectMessages(broker.url, statusTopic, 1, 2_000);
    expect(retained.map((m) => [m.text, m.retain])).toEqual([['offline', true]]);

    // A result written while the link is down waits (no error: link loss is a state) ...
    const results = await startCollector(broker.url, `${options.topicPrefix}result`);
    let delivered = false;
    const duringOutage = sink.publishResult(sampleResult(0)).then(() => {
      delivered = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(delivered).toBe(false);

    // ... the link comes back, the sink reconnects on its own, says so, and the waiting result goes out.
    proxy.setPaused(false);
    expect((await live.waitFor(3, 10_000)).map((m) => m.text)).toEqual(['online', 'offline', 'online']);
    await duringOutage;
    await sink.publishResult(sampleResult(1));
    const arrived = await results.waitFor(3, 1_000);
    expect(arrived.map((m) => (JSON.parse(m.text) as { seq: number }).seq)).toEqual([0, 1]);

    await sink.close();
    await results.close();
    await live.close();
    await proxy.close();
  });

  it('close() is bounded when the link is down, and a result still waiting for PUBACK is rejected, not lost silently', async () => {
    const proxy = await startTcpProxy(broker.port);
    const options = optionsFor(proxy.url, { keepaliveS: 1, closeTimeoutMs: 500 });
    const sink = await MqttLink.connect(options, silentLogger);
    proxy.setPaused(true);
    proxy.cut();
    const stranded = sink.publishResult(sampleResult(9)).then(
      () => 'delivered',
      (error: unknown) => (error as Error).message,
    );
    // The link never comes back (the proxy stays paused): close() returning at all shows it is bounded.
    await sink.close();
    expect(await stranded).toMatch(
      /^mqtt: result seq 9 was not acknowledged by broker mqtt:\/\/127\.0\.0\.1:\d+ \(.*\); the sink was closed before the link came back$/,
    );
    await proxy.close();
  });

  it('rejects with the URL, the cause and what to do when the broker is unreachable', async () => {
    await expect(MqttLink.connect(optionsFor('mqtt://127.0.0.1:1'), silentLogger)).rejects.toThrow(
      'mqtt: cannot reach broker mqtt://127.0.0.1:1 (ECONNREFUSED); is it running? set sinks.mqtt.url or leave it empty to use the embedded broker',
    );
  });

  it('rejects with a timeout error when nothing answers the CONNECT', async () => {
    // Accepts TCP and then says nothing, like a wrong port behind a firewall or a TLS port spoken to in plain text.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const url = `mqtt://127.0.0.1:${port}`;
    try {
      await expect(MqttLink.connect(optionsFor(url, { connectTimeoutMs: 300 }), silentLogger)).rejects.toThrow(
        `mqtt: no answer from broker ${url} within 300 ms (timeout); check sinks.mqtt.url (host, port, mqtt:// or mqtts://) and the network link to it`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('rejects an unknown host with a clear error', async () => {
    await expect(MqttLink.connect(optionsFor('mqtt://no-such-host.invalid:1883'), silentLogger)).rejects.toThrow(
      /^mqtt: cannot resolve the host of mqtt:\/\/no-such-host\.invalid:1883 \((ENOTFOUND|EAI_AGAIN)\); check sinks\.mqtt\.url$/,
    );
  });

  it('refuses a bad topic prefix before connecting', async () => {
    await expect(MqttLink.connect(optionsFor(broker.url, { topicPrefix: 'fieldeye/v1/+' }), silentLogger)).rejects.toThrow(
      `mqtt: sinks.mqtt.topicPrefix must end with '/' and contain no '+', '#' or NUL, e.g. 'fieldeye/v1/drone-1/' (received "fieldeye/v1/+")`,
    );
  });
});

describe('MqttLink with an authenticating Mosquitto', () => {
  let secured: MosquittoBroker;
  const password = 'pa55-secret-never-logged';

  let passwordDir: string;

  beforeAll(async () => {
    // Debian's own mosquitto_passwd writes the hashed password file the broker reads.
    passwordDir = await mkdtemp(join(tmpdir(), 'fieldeye-mqtt-passwd-'));
    const passwordFile = join(passwordDir, 'passwd');
    await promisify(execFile)('/usr/bin/mosquitto_passwd', ['-c', '-b', passwordFile, 'drone', password]);
    await promisify(execFile)('/usr/bin/mosquitto_passwd', ['-b', passwordFile, 'ground', password]);
    // "drone" may publish anything except results of drone "muted"; "ground" may read everything.
    const aclFile = join(passwordDir, 'acl');
    await writeFile(
      aclFile,
      ['user drone', 'topic write fieldeye/v1/+/status', 'topic write fieldeye/v1/drone-ok/result', '', 'user ground', 'topic read #', ''].join('\n'),
    );
    secured = await startMosquitto({
      allowAnonymous: false,
      extraConfig: [`password_file ${passwordFile}`, `acl_file ${aclFile}`],
    });
  });
  afterAll(async () => {
    await secured?.stop();
    await rm(passwordDir, { recursive: true, force: true });
  });

  it('connects with the right credentials and never logs the password', async () => {
    const { logger, text } = capturingLogger();
    const options = optionsFor(secured.url, { username: 'drone', password, topicPrefix: 'fieldeye/v1/drone-ok/' });
    const sink = await MqttLink.connect(options, logger);
    await sink.publishResult(sampleResult(0));
    await sink.close();
    expect(text()).toContain('mqtt link: connected');
    expect(text()).not.toContain(password);
  });

  it('rejects bad credentials naming the reason code and the config keys to fix, without the password', async () => {
    const { logger, text } = capturingLogger();
    const attempt = MqttLink.connect(optionsFor(secured.url, { username: 'drone', password: 'wrong-password' }), logger);
    // Mosquitto 2.0.11 answers a wrong password with 135 (not authorised), not 134 (bad user name or password).
    await expect(attempt).rejects.toThrow(
      `mqtt: broker ${secured.url} refused the connection: Not authorized (code 135); check sinks.mqtt.username/password and the broker's ACL for this client`,
    );
    const error: unknown = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String((error as Error).message)).not.toContain('wrong-password');
    expect(text()).not.toContain('wrong-password');
  });

  it('reports not authorised for an anonymous client (MQTT 3.1.1 return code 5)', async () => {
    await expect(MqttLink.connect(optionsFor(secured.url, { protocolVersion: 4 }), silentLogger)).rejects.toThrow(
      `mqtt: broker ${secured.url} refused the connection: Not authorized (code 5); check sinks.mqtt.username/password and the broker's ACL for this client`,
    );
  });

  it('rejects a result the broker ACL refuses (MQTT 5 PUBACK reason 135) and nothing is delivered', async () => {
    const ground = { clientOptions: { username: 'ground', password } };
    const options = optionsFor(secured.url, { username: 'drone', password, topicPrefix: 'fieldeye/v1/drone-muted/' });
    const collector = await startCollector(secured.url, 'fieldeye/v1/drone-muted/result', ground);
    const sink = await MqttLink.connect(options, silentLogger);
    await expect(sink.publishResult(sampleResult(2))).rejects.toThrow(
      `mqtt: broker ${secured.url} refused result seq 2 on fieldeye/v1/drone-muted/result (135: Publish error: Not authorized); check the broker ACL for this client`,
    );
    expect(await collector.waitFor(1, 500)).toEqual([]);
    await sink.close();
    await collector.close();

    // The same drone on an allowed prefix gets through: the ACL, not the sink, made the difference.
    const allowed = optionsFor(secured.url, { username: 'drone', password, topicPrefix: 'fieldeye/v1/drone-ok/' });
    const okCollector = await startCollector(secured.url, 'fieldeye/v1/drone-ok/result', ground);
    const okSink = await MqttLink.connect(allowed, silentLogger);
    await okSink.publishResult(sampleResult(2));
    expect(await okCollector.waitFor(1, 2_000)).toHaveLength(1);
    await okSink.close();
    await okCollector.close();
  });

  it('keeps a password embedded in the URL out of errors', async () => {
    const url = `mqtt://drone:${password}@127.0.0.1:1`;
    await expect(MqttLink.connect(optionsFor(url), silentLogger)).rejects.toThrow('mqtt: cannot reach broker mqtt://drone:redacted@127.0.0.1:1 (ECONNREFUSED)');
  });
});
