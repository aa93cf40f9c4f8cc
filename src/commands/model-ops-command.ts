// `fieldeye model ops MODEL`: the ops onnxruntime runs for a model on this CPU after its graph optimisations, to check on the device itself that an int8 model runs QLinear kernels.
import { machineInfo } from '../platform/machine-info.js';
import { optimizedOps } from '../model/optimized-ops.js';

export interface ModelOpsCommandOptions {
  json: boolean;
}

export async function modelOpsCommand(modelPath: string, opts: ModelOpsCommandOptions): Promise<number> {
  const { counts, unfused } = await optimizedOps(modelPath);
  const m = machineInfo();
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ model: modelPath, arch: m.arch, cpu: m.cpuModel, onnxruntime: m.versions['onnxruntime-node'], counts, unfused })}\n`,
    );
  } else {
    process.stdout.write(`${modelPath} on ${m.cpuModel} (${m.arch}), onnxruntime-node ${m.versions['onnxruntime-node']}, graph optimisation "all":\n`);
    for (const [op, n] of Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) process.stdout.write(`  ${op.padEnd(28)} ${n}\n`);
    process.stdout.write(
      unfused.length === 0
        ? 'no float op reads a DequantizeLinear: every quantized op runs as an int8 kernel\n'
        : `${unfused.length} float op(s) read a DequantizeLinear (int8 work done in float), e.g. ${unfused
            .slice(0, 3)
            .map((u) => `${u.opType} "${u.node}"`)
            .join(', ')}; on x86 quantize with --activations uint8\n`,
    );
  }
  return 0;
}
