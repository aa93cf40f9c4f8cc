// The layer rules (.dependency-cruiser.cjs, docs/architecture.md) hold on src/ and really fail a violating import or a cycle.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/run-cli.js';

const DEPCRUISE = join(REPO_ROOT, 'node_modules/.bin/depcruise');
const RULES = join(REPO_ROOT, '.dependency-cruiser.cjs');
const work = mkdtempSync(join(tmpdir(), 'fieldeye-layers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(DEPCRUISE, ['src', '--config', RULES, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A throwaway tree shaped like src/ with the given files. */
function tree(name: string, files: Record<string, string>): string {
  const root = join(work, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true } }));
  return root;
}

describe('layer rules', () => {
  it('src/ as it is passes', () => {
    const r = cruise(REPO_ROOT);
    expect(r.out).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  });

  it('vision importing publish, the dashboard importing the pipeline, platform importing a domain layer: each fails', () => {
    const root = tree('violations', {
      'src/publish/sink.ts': 'export type Sink = { name: string };\n',
      'src/vision/uses-publish.ts': "import type { Sink } from '../publish/sink.js';\nexport const x: Sink | null = null;\n",
      'src/pipeline/run.ts': 'export const run = 1;\n',
      'src/dashboard/uses-pipeline.ts': "import { run } from '../pipeline/run.js';\nexport const y = run;\n",
      'src/capture/frame.ts': 'export const frame = 1;\n',
      'src/platform/uses-capture.ts': "import { frame } from '../capture/frame.js';\nexport const z = frame;\n",
      'src/app/root.ts': 'export const root = 1;\n',
      'src/publish/uses-app.ts': "import { root } from '../app/root.js';\nexport const w = root;\n",
    });
    const r = cruise(root);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/layer-vision: src\/vision\/uses-publish\.ts → src\/publish\/sink\.ts/);
    expect(r.out).toMatch(/dashboard-not-drone: src\/dashboard\/uses-pipeline\.ts → src\/pipeline\/run\.ts/);
    expect(r.out).toMatch(/layer-platform: src\/platform\/uses-capture\.ts → src\/capture\/frame\.ts/);
    expect(r.out).toMatch(/app-only-from-cli: src\/publish\/uses-app\.ts → src\/app\/root\.ts/);
  });

  it('an import cycle inside one layer fails', () => {
    const root = tree('cycle', {
      'src/geo/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/geo/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    const r = cruise(root);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('no-cycles');
  });
});
