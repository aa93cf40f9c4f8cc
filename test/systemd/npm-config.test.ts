// The project's npm set-up: npm commands run without config warnings, and onnxruntime-node's CUDA download stays blocked.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/run-cli.js';

describe('npm configuration', () => {
  it('npm prints no "Unknown project config" warning in this project', () => {
    const r = spawnSync('npm', ['config', 'list'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown (project|user|env) config/);
  });

  it('blocks the onnxruntime-node install script (the CUDA download) through allowScripts, and no .npmrc is needed', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    expect(existsSync(join(REPO_ROOT, '.npmrc'))).toBe(false);
  });
});
