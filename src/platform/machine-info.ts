// What a benchmark ran on: CPU model and flags that matter for int8 kernels, cores, OS, Node, onnxruntime and sharp versions.
import { readFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, hostname, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

export interface MachineInfo {
  host: string;
  cpuModel: string;
  cores: number;
  arch: string;
  os: string;
  memoryGb: number;
  /** SIMD flags that decide which int8/fp32 kernels onnxruntime picks (AVX2, AVX-512 VNNI, NEON dot product...). */
  cpuFlags: string[];
  node: string;
  versions: Record<string, string>;
}

// Flags named in onnxruntime's MLAS dispatch (x86) and the ARM features that separate a Pi 4 from newer cores.
const INTERESTING_FLAGS = [
  'sse4_1',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'avx_vnni',
  'amx_int8',
  'neon',
  'asimd',
  'asimddp',
  'i8mm',
  'sve',
];

function cpuFlags(): string[] {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const line = text.split('\n').find((l) => /^(flags|Features)\s*:/.test(l)) ?? '';
    const flags = new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
    return INTERESTING_FLAGS.filter((f) => flags.has(f));
  } catch {
    // Not Linux: the CPU model string is all we have.
    return [];
  }
}

function packageVersion(name: string): string {
  try {
    // Read the file: packages with an `exports` map refuse `require('<name>/package.json')`.
    return (JSON.parse(readFileSync(join(packageRoot(), 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  return {
    host: hostname(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    arch: arch(),
    os: `${platform()} ${release()}`,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuFlags: cpuFlags(),
    node: process.version,
    versions: { 'onnxruntime-node': packageVersion('onnxruntime-node'), sharp: packageVersion('sharp') },
  };
}
