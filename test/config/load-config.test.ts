// Config loading: defaults documented in config/default.yaml, pinned error messages, env overrides, secrets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { ConfigSchema } from '../../src/config/schema.js';
import { applyEnvOverrides, loadConfig, validateConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/config/config-error.js';
import { resolveSecrets } from '../../src/config/resolve-secrets.js';

const root = resolve(import.meta.dirname, '../..');

function problemsOf(doc: unknown): string[] {
  try {
    validateConfig(doc, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fieldeye-config-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('config/default.yaml', () => {
  it('documents every key with exactly the schema defaults', () => {
    const documented = parse(readFileSync(join(root, 'config/default.yaml'), 'utf8')) as unknown;
    // Strict parse: an undocumented-but-present key fails; equality: every default is written down as it is.
    expect(ConfigSchema.parse(documented)).toEqual(ConfigSchema.parse({}));
    expect(documented).toEqual(ConfigSchema.parse({}));
  });

  it('demo.yaml and pi4.yaml validate; pi4.yaml keeps all state where the hardened unit may write', () => {
    expect(() => loadConfig(join(root, 'config/demo.yaml'), {})).not.toThrow();
    const pi = loadConfig(join(root, 'config/pi4.yaml'), {}).config;
    expect(pi.source.type).toBe('rpicam');
    expect(pi.sinks.mqtt.outbox.path.startsWith('/var/lib/fieldeye/')).toBe(true);
    expect(pi.record.dir.startsWith('/var/lib/fieldeye/')).toBe(true);
  });
});

describe('config errors name the key path, the expectation and what was received', () => {
  it('wrong number range', () => {
    expect(problemsOf({ model: { topK: 0 } })).toEqual(['model.topK: expected an integer between 1 and 20, received 0']);
  });
  it('wrong type', () => {
    expect(problemsOf({ model: { intraOpThreads: 'two' } })).toEqual(['model.intraOpThreads: expected an integer between 0 and 64, received "two"']);
  });
  it('unknown key, with the allowed keys listed', () => {
    expect(problemsOf({ sinks: { mqtt: { passwrd: 'x' } } })).toEqual([
      'sinks.mqtt.passwrd: unknown key; allowed keys here: enabled, url, embeddedBrokerPort, protocolVersion, clientId, topicPrefix, username, passwordFile, passwordEnv, connectTimeoutMs, keepaliveS, sessionExpiryS, reconnectMinMs, reconnectMaxMs, tls, healthIntervalS, outbox, thumb',
    ]);
  });
  it('unknown top-level key', () => {
    expect(problemsOf({ camera: {} })[0]).toMatch(/^camera: unknown key; allowed keys here: droneId, flightId, log, source/);
  });
  it('enum value', () => {
    expect(problemsOf({ model: { preprocess: 'slow' } })).toEqual(['model.preprocess: expected one of "fast", "exact", received "slow"']);
  });
  it('unknown source type', () => {
    expect(problemsOf({ source: { type: 'webcam' } })).toEqual(['source.type: expected a source type: "images", "rpicam", received "webcam"']);
  });
  it('a mapping where a scalar was given', () => {
    expect(problemsOf({ sinks: 5 })).toEqual(['sinks: expected a mapping of keys, received 5']);
  });
  it('a broker URL that is not one', () => {
    expect(problemsOf({ sinks: { mqtt: { url: 'http://gs:1883' } } })).toEqual([
      'sinks.mqtt.url: expected a broker URL such as mqtt://host:1883, or "" for the embedded broker, received "http://gs:1883"',
    ]);
  });
  it('a drone id that would break MQTT topics', () => {
    expect(problemsOf({ droneId: 'a/b' })).toEqual([
      'droneId: expected letters, digits, "_", "." or "-" (1-64 characters, no "/", "+" or "#"), received "a/b"',
    ]);
  });
  it('reports every problem at once', () => {
    expect(problemsOf({ model: { topK: 99, preprocess: 1 }, log: { level: 'loud' } })).toHaveLength(3);
  });
  it('the thrown message names the file', () => {
    const file = tempFile('bad.yaml', 'model:\n  topK: 0\n');
    expect(() => loadConfig(file, {})).toThrow(`config ${file}: 1 problem:\n  model.topK: expected an integer between 1 and 20, received 0`);
  });
  it('broken YAML names the line', () => {
    const file = tempFile('broken.yaml', 'model:\n  topK: [1\n');
    expect(() => loadConfig(file, {})).toThrow(new RegExp(`^config file ${file}: not valid YAML at line \\d+`));
  });
  it('a missing file says what to do', () => {
    expect(() => loadConfig('/nonexistent/fieldeye.yaml', {})).toThrow(
      'config file /nonexistent/fieldeye.yaml: cannot read it (ENOENT); pass an existing file with --config',
    );
  });
});

describe('environment overrides and paths', () => {
  it('FIELDEYE__a__b sets nested keys with YAML scalar typing', () => {
    const doc = applyEnvOverrides({ model: { topK: 3 } }, { FIELDEYE__model__topK: '7', FIELDEYE__sinks__mqtt__url: 'mqtt://gs:1883' });
    expect(validateConfig(doc, 'env').model.topK).toBe(7);
    expect(validateConfig(doc, 'env').sinks.mqtt.url).toBe('mqtt://gs:1883');
  });
  it('an override of an unknown key is an error too', () => {
    expect(() => validateConfig(applyEnvOverrides({}, { FIELDEYE__model__topk: '7' }), 'env')).toThrow(/model.topk: unknown key/);
  });
  it('relative paths resolve against the config file folder', () => {
    const file = tempFile('c.yaml', 'source:\n  type: images\n  dir: frames\n');
    expect(loadConfig(file, {}).config.source).toMatchObject({ dir: join(file, '..', 'frames') });
    const camera = tempFile('r.yaml', 'source:\n  type: rpicam\n  tuningFile: imx708.json\n');
    expect(loadConfig(camera, {}).config.source).toMatchObject({ tuningFile: join(camera, '..', 'imx708.json') });
  });
});

describe('secrets', () => {
  it('come from a file or the environment, never from the config object', () => {
    const pw = tempFile('pw', 's3cret\n');
    const fromFile = loadConfig(tempFile('c.yaml', `sinks:\n  mqtt:\n    passwordFile: ${pw}\n`), {}).config;
    expect(resolveSecrets(fromFile, {})).toEqual({ mqttPassword: 's3cret' });
    expect(JSON.stringify(fromFile)).not.toContain('s3cret');
    const fromEnv = validateConfig({}, 'x');
    expect(resolveSecrets(fromEnv, { FIELDEYE_MQTT_PASSWORD: 'p' })).toEqual({ mqttPassword: 'p' });
  });
  it('an unreadable password file is a clear error', () => {
    const cfg = validateConfig({ sinks: { mqtt: { passwordFile: '/nonexistent/pw' } } }, 'x');
    expect(() => resolveSecrets(cfg, {})).toThrow('sinks.mqtt.passwordFile: cannot read /nonexistent/pw (ENOENT); create it (mode 0600) or set the key to ""');
  });
});
