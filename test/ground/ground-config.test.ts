// The ground process's configuration: defaults, errors that name the key, paths resolved against the file,
// FIELDEYE_GROUND__ overrides, the password kept out of the config, and exit 78 for a configuration fault.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadGroundConfig, parseGroundConfig } from '../../src/ground/ground-config.js';
import { ConfigError } from '../../src/config/config-error.js';
import { GROUND_MAIN } from './ground-harness.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-ground-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function problems(doc: unknown): string[] {
  try {
    parseGroundConfig(doc, 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('ground config', () => {
  test('an empty file gives a persistent MQTT 5 subscriber into the GeoPackage default', () => {
    const config = parseGroundConfig({}, 'empty');
    expect(config.broker).toMatchObject({ url: 'mqtt://127.0.0.1:1883', clientId: 'fieldeye-ground', topicPrefix: 'fieldeye/v1/{droneId}/', sharedGroup: '' });
    expect(config.broker.sessionExpiryS).toBeGreaterThan(0);
    expect(config.store).toEqual({ url: '', path: 'ground/fieldeye.gpkg' });
    expect(config.batch).toEqual({ maxMessages: 500, maxDelayMs: 200 });
  });

  test('errors name the key, what was expected and what was received', () => {
    expect(problems({ broker: { passwrd: 'x' } })).toEqual([
      expect.stringMatching(/^broker\.passwrd: unknown key; allowed keys here: url, clientId, .*passwordEnv/),
    ]);
    expect(problems({ store: { url: 'mysql://db/x' } })).toEqual([
      'store.url: expected "" (the GeoPackage at store.path) or a postgres://user@host:5432/db URL, received "mysql://db/x"',
    ]);
    expect(problems({ batch: { maxMessages: 0 } })).toEqual(['batch.maxMessages: expected an integer between 1 and 30000, received 0']);
    expect(problems({ broker: { sharedGroup: 'a/b' } })).toEqual([
      'broker.sharedGroup: expected letters, digits, "_", "." or "-" (1-64), or "", received "a/b"',
    ]);
    expect(problems({ broker: { sessionExpiryS: 0 } })[0]).toMatch(/^broker\.sessionExpiryS: expected an integer between 1 and /);
  });

  test('a file whose top level is a scalar or a list is an error naming the file, not a run on every default', async () => {
    for (const [name, text, received] of [
      ['scalar.yaml', 'hello\n', '"hello"'],
      ['list.yaml', '- broker: x\n', 'a list'],
    ] as const) {
      const file = join(dir, name);
      await writeFile(file, text);
      expect(() => loadGroundConfig(file, {})).toThrow(
        new RegExp(
          `^ground config ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the top level must be a mapping of keys \\(broker: \\.\\.\\., store: \\.\\.\\.\\), received ${received}`,
        ),
      );
    }
    // An empty file is every default, like no file at all.
    const empty = join(dir, 'empty.yaml');
    await writeFile(empty, '# nothing yet\n');
    expect(loadGroundConfig(empty, {}).config.broker.clientId).toBe('fieldeye-ground');
  });

  test('paths resolve against the file; FIELDEYE_GROUND__ overrides; the password comes from the environment only', async () => {
    const file = join(dir, 'ground.yaml');
    await writeFile(file, 'broker:\n  url: mqtt://gs.local:1883\n  passwordEnv: GS_PASS\nstore:\n  path: data/f.gpkg\n');
    const loaded = loadGroundConfig(file, { GS_PASS: 'pw', FIELDEYE_GROUND__batch__maxDelayMs: '75' });
    expect(loaded.config.store.path).toBe(join(dir, 'data/f.gpkg'));
    expect(loaded.config.batch.maxDelayMs).toBe(75);
    expect(loaded.password).toBe('pw');
    expect(JSON.stringify(loaded.config)).not.toContain('pw"');
    const overridden = loadGroundConfig(file, { FIELDEYE_GROUND__store__url: 'postgres://u@db/x' });
    expect(overridden.config.store.url).toBe('postgres://u@db/x');
  });

  test('fieldeye ground exits 78 on a configuration fault and names the key', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'broker:\n  topicPrefix: fieldeye/v1/\n');
    const outcome = await promisify(execFile)(process.execPath, [GROUND_MAIN, '--config', file]).then(
      () => ({ code: 0, out: '' }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout + error.stderr }),
    );
    expect(outcome.code).toBe(78);
    expect(outcome.out).toContain('broker.topicPrefix: expected the drones\' topic prefix with \\"{droneId}\\" once as a whole level');
  });
});

test('config/ground.yaml shows every key with its default', async () => {
  const { parse } = await import('yaml');
  const { readFile } = await import('node:fs/promises');
  const doc: unknown = parse(await readFile(new URL('../../config/ground.yaml', import.meta.url), 'utf8'));
  expect(parseGroundConfig(doc, 'config/ground.yaml')).toEqual(parseGroundConfig({}, 'defaults'));
  const keys = (o: unknown, at = ''): string[] => (o !== null && typeof o === 'object' ? Object.entries(o).flatMap(([k, v]) => keys(v, `${at}${k}.`)) : [at]);
  expect(keys(doc).sort()).toEqual(keys(parseGroundConfig({}, 'defaults')).sort());
});
