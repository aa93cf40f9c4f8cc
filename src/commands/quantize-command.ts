// `fieldeye quantize`: static QDQ int8 quantization of an FP32 ONNX classifier with real frames, printing the plan, the accuracy report and where the files went.
import type { Logger } from '../platform/logger.js';
import type { CalibrationMethod } from '../model/activation-histogram.js';
import type { LayerPrecision } from '../model/qdq-insert.js';
import type { ActivationType } from '../model/quant-params.js';
import type { PreprocessMode } from '../vision/preprocess-types.js';
import { quantizeModelFile } from '../model/quantize-model.js';
import { formatAccuracyReport } from '../model/quantize-accuracy.js';

export interface QuantizeCommandOptions {
  model: string;
  calibration: string;
  eval?: string;
  frames?: number;
  method: CalibrationMethod;
  percentile: number;
  out?: string;
  firstConv: LayerPrecision;
  lastFc: LayerPrecision;
  activations: ActivationType;
  preprocess: PreprocessMode;
  /** '2' or '4': int8 Winograd F(m,3) for the 3x3 stride-1 convs. */
  winograd?: string;
  json: boolean;
}

export async function quantizeCommand(opts: QuantizeCommandOptions, logger: Logger): Promise<number> {
  const r = await quantizeModelFile({
    modelPath: opts.model,
    calibrationDir: opts.calibration,
    ...(opts.eval !== undefined ? { evalDir: opts.eval } : {}),
    ...(opts.frames !== undefined ? { frames: opts.frames } : {}),
    ...(opts.out !== undefined ? { outPath: opts.out } : {}),
    method: opts.method,
    percentile: opts.percentile,
    firstConv: opts.firstConv,
    lastFc: opts.lastFc,
    activations: opts.activations,
    preprocess: opts.preprocess,
    ...(opts.winograd !== undefined ? { winograd: opts.winograd === '2' ? 2 : 4 } : {}),
    logger,
  });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ model: r.outPath, card: r.cardPath, plan: r.plan, ms: r.ms, quantization: r.card.quantization })}\n`);
    return 0;
  }
  const q = r.card.quantization;
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  process.stdout.write(
    [
      `quantized ${opts.model} -> ${r.outPath} (card ${r.cardPath})`,
      `  QDQ, activations ${q?.activations} per tensor (${q?.activations === 'int8' ? 'S8S8' : 'U8S8'}: runs fused on ${(q?.fusedOn ?? []).join(' and ')}), weights int8 per channel symmetric; first conv ${opts.firstConv}, last fc ${opts.lastFc}`,
      `  ${r.plan.foldedBatchNorms} BatchNorms folded, ${r.plan.int8Nodes} int8 nodes, ${r.plan.quantizedTensors} quantized tensors, ${r.plan.fusedRelus} Relus fused`,
      `  calibration: ${q?.calibration.frames} frames, ${opts.method}${opts.method === 'percentile' ? ` ${opts.percentile}` : ''}, sha256 ${q?.calibration.sha256.slice(0, 16)}…, ${s(r.ms.calibration)}`,
      formatAccuracyReport(r.accuracy),
      `  (${s(r.ms.total)} in all)`,
      '',
    ].join('\n'),
  );
  return 0;
}
