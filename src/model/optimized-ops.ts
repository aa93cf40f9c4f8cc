// What onnxruntime really runs for a model on this CPU: the op counts of its optimized graph, and any float op still fed by a DequantizeLinear (an int8 model whose QDQ pairs were not fused into QLinear kernels).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { consumersOf, opTypeCounts } from '../onnx/onnx-graph.js';
import { decodeModel } from '../onnx/onnx-proto.js';

/** Float kernels that mean "not fused" when a DequantizeLinear feeds them. */
const FLOAT_COMPUTE_OPS = new Set(['Conv', 'FusedConv', 'Gemm', 'MatMul', 'Add', 'FusedGemm']);

export interface OptimizedOps {
  /** op type -> count in the optimized graph (custom domains included, e.g. com.microsoft QLinearAdd). */
  counts: Record<string, number>;
  /** Nodes of FLOAT_COMPUTE_OPS that read a DequantizeLinear's output: each is int8 work done in float. */
  unfused: Array<{ node: string; opType: string }>;
}

/** Loads the model with graph optimisation 'all' (as the pipeline does), saves the optimized graph and reads it back. */
export async function optimizedOps(modelPath: string, threads = 1): Promise<OptimizedOps> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldeye-optimized-'));
  try {
    const out = join(dir, 'optimized.onnx');
    // logSeverityLevel 3: onnxruntime warns that an 'all'-level file is machine-specific, which is the point here.
    const session = await ort.InferenceSession.create(modelPath, {
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: out,
      intraOpNumThreads: threads,
      logSeverityLevel: 3,
    });
    await session.release();
    const graph = decodeModel(await readFile(out)).graph;
    const counts = opTypeCounts(graph);
    const consumers = consumersOf(graph);
    const unfused: OptimizedOps['unfused'] = [];
    const seen = new Set<object>();
    for (const dq of graph.node.filter((n) => n.opType === 'DequantizeLinear')) {
      for (const reader of consumers.get(dq.output[0] ?? '') ?? []) {
        // A float Conv reads two DequantizeLinears (activation and weight): count it once.
        if (FLOAT_COMPUTE_OPS.has(reader.opType) && !seen.has(reader)) {
          seen.add(reader);
          unfused.push({ node: reader.name, opType: reader.opType });
        }
      }
    }
    return { counts, unfused };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
