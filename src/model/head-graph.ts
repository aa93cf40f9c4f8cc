// Graph surgery for train-head: swaps a classifier's final Gemm for a new one with N classes, leaving the backbone untouched.
import { TensorDataType, type OnnxModel } from '../onnx/onnx-proto.js';
import { attrFloat, attrInt, float32Tensor, removeUnusedInitializers, setInitializer, tensorValueInfo, valueInfoToTensorInfo } from '../onnx/onnx-graph.js';
import type { HeadLocation } from './head-features.js';
import type { LinearClassifier } from './head-logistic.js';

export const HEAD_WEIGHT_NAME = 'head.weight';
export const HEAD_BIAS_NAME = 'head.bias';

/**
 * A copy of `model` whose Gemm `head.gemm` computes `classifier` (weights as [classes, features]
 * with transB = 1, as torchvision exports a Linear layer), and whose output declares the new class
 * count. The old head's weights are dropped; nothing else in the graph changes.
 */
export function replaceHead(model: OnnxModel, head: HeadLocation, classifier: LinearClassifier, docString?: string): OnnxModel {
  if (classifier.features !== head.features) {
    throw new RangeError(`replaceHead: the classifier reads ${classifier.features} features, the backbone's head ${head.features}`);
  }
  const out: OnnxModel = structuredClone(model);
  const g = out.graph;
  const gemm = g.node.find((n) => n.name === head.gemm.name && n.output[0] === head.outputName);
  if (!gemm) throw new Error(`replaceHead: the Gemm "${head.gemm.name}" writing "${head.outputName}" is not in the graph`);
  setInitializer(g, float32Tensor(HEAD_WEIGHT_NAME, [classifier.classes, classifier.features], Float32Array.from(classifier.weights)));
  setInitializer(g, float32Tensor(HEAD_BIAS_NAME, [classifier.classes], Float32Array.from(classifier.bias)));
  gemm.input = [head.featureTensor, HEAD_WEIGHT_NAME, HEAD_BIAS_NAME];
  gemm.attribute = [attrFloat('alpha', 1), attrFloat('beta', 1), attrInt('transB', 1)];
  removeUnusedInitializers(g);

  // Keep the declared batch dimension (symbolic 'N' or fixed), change the class count.
  const idx = g.output.findIndex((o) => o.name === head.outputName);
  const old = idx >= 0 ? valueInfoToTensorInfo(g.output[idx] as NonNullable<(typeof g.output)[number]>) : null;
  const batch = old?.shape?.[0] ?? 'N';
  const info = tensorValueInfo(head.outputName, TensorDataType.FLOAT, [batch === null ? 'N' : batch, classifier.classes]);
  if (idx >= 0) g.output[idx] = info;
  else g.output.push(info);
  // A stale shape annotation of the output would contradict the new class count.
  g.valueInfo = g.valueInfo.filter((v) => v.name !== head.outputName);
  out.producerName = 'fieldeye train-head';
  if (docString !== undefined) out.docString = docString;
  return out;
}
