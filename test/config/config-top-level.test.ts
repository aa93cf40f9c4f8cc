// A config file whose top level is not a mapping is an error naming the file, never a silent run on all defaults.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';
import { runCli } from '../support/run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'fieldeye-config-top-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

describe('the top level of a config file', () => {
  it.each([
    ['scalar.yaml', 'hello\n', 'received "hello"'],
    ['list.yaml', '- droneId: x\n', 'received a list ([{"droneId":"x"}])'],
    ['number.yaml', '42\n', 'received 42'],
    ['json-list.json', '[1, 2]\n', 'received a list ([1,2])'],
  ])('%s is refused with the file named', (name, text, received) => {
    const path = file(name, text);
    expect(() => loadConfig(path)).toThrow(ConfigError);
    expect(() => loadConfig(path)).toThrow(`config file ${path}: the top level must be a mapping of keys (droneId: ..., source: ..., sinks: ...), ${received}`);
  });

  it('an empty file or one with comments only means every default, as documented', () => {
    expect(loadConfig(file('empty.yaml', '')).config.droneId).toBe(loadConfig(null).config.droneId);
    expect(loadConfig(file('comments.yaml', '# nothing set yet\n')).config.droneId).toBe(loadConfig(null).config.droneId);
  });

  it('fieldeye run with a list config stops with exit 78 before anything starts', async () => {
    const run = await runCli(['run', '--config', file('run-list.yaml', '- droneId: x\n')]);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/the top level must be a mapping of keys/);
  });
});
