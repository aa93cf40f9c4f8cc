// torchvision's ResNet-18 as an ONNX graph: the layer list, the parameter names and shapes, and the model builder.
import { TensorDataType, type OnnxModel, type OnnxNode } from '../onnx/onnx-proto.js';
import { attrFloat, attrInt, attrInts, float32Tensor, tensorValueInfo } from '../onnx/onnx-graph.js';

export const RESNET18_INPUT_NAME = 'input';
export const RESNET18_OUTPUT_NAME = 'logits';
export const RESNET18_NUM_CLASSES = 1000;
/** `sum(p.numel() for p in torchvision.models.resnet18().parameters())`. */
export const RESNET18_PARAMETER_COUNT = 11_689_512;
/** Opset 17 because Debian 12's python3-onnx 1.12 checks models up to 17; IR 8 goes with it. */
export const RESNET18_OPSET = 17;
export const RESNET18_IR_VERSION = 8;
/** torch.nn.BatchNorm2d's default epsilon. */
export const BN_EPSILON = 1e-5;

/** One operation of the network, in execution order; tensor names follow torch.onnx's export naming. */
export type Resnet18Layer =
  | { op: 'conv'; node: string; module: string; input: string; output: string; inC: number; outC: number; kernel: number; stride: number; pad: number }
  | { op: 'bn'; node: string; module: string; input: string; output: string; channels: number }
  | { op: 'relu'; node: string; input: string; output: string }
  | { op: 'maxpool'; node: string; input: string; output: string }
  | { op: 'add'; node: string; inputs: [string, string]; output: string }
  | { op: 'gap'; node: string; input: string; output: string }
  | { op: 'flatten'; node: string; input: string; output: string }
  | { op: 'fc'; node: string; module: string; input: string; output: string; inF: number; outF: number };

/** How a parameter is initialised, so the synthesiser can follow torchvision's rules per kind. */
export type Resnet18ParamRole = 'conv-weight' | 'bn-weight' | 'bn-bias' | 'bn-running-mean' | 'bn-running-var' | 'fc-weight' | 'fc-bias';

export interface Resnet18Param {
  /** torchvision state_dict key, e.g. `layer2.0.downsample.0.weight`. */
  name: string;
  dims: number[];
  role: Resnet18ParamRole;
  /** The conv/bn/fc module the parameter belongs to, e.g. `layer2.0.downsample.1`. */
  module: string;
}

function onnxPath(module: string): string {
  // torch.onnx names scopes by module nesting, a Sequential index joined to its parent's name:
  // layer1.0.conv1 -> /layer1/layer1.0/conv1, layer2.0.downsample.0 -> /layer2/layer2.0/downsample/downsample.0.
  const parts = module.split('.');
  const scopes = parts.map((part, i) => (i > 0 && /^\d+$/.test(part) ? `${parts[i - 1] ?? ''}.${part}` : part));
  return '/' + scopes.join('/');
}

function buildLayers(): Resnet18Layer[] {
  const layers: Resnet18Layer[] = [];
  const conv = (module: string, input: string, inC: number, outC: number, kernel: number, stride: number, pad: number): string => {
    const node = `${onnxPath(module)}/Conv`;
    const output = `${node}_output_0`;
    layers.push({ op: 'conv', node, module, input, output, inC, outC, kernel, stride, pad });
    return output;
  };
  const bn = (module: string, input: string, channels: number): string => {
    const node = `${onnxPath(module)}/BatchNormalization`;
    const output = `${node}_output_0`;
    layers.push({ op: 'bn', node, module, input, output, channels });
    return output;
  };
  const relu = (scope: string, input: string): string => {
    const node = `${scope}/Relu`;
    const output = `${node}_output_0`;
    layers.push({ op: 'relu', node, input, output });
    return output;
  };

  let x = conv('conv1', RESNET18_INPUT_NAME, 3, 64, 7, 2, 3);
  x = bn('bn1', x, 64);
  x = relu('/relu', x);
  layers.push({ op: 'maxpool', node: '/maxpool/MaxPool', input: x, output: '/maxpool/MaxPool_output_0' });
  x = '/maxpool/MaxPool_output_0';

  let inC = 64;
  const widths = [64, 128, 256, 512];
  widths.forEach((outC, stageIdx) => {
    const stage = `layer${stageIdx + 1}`;
    for (let b = 0; b < 2; b++) {
      const block = `${stage}.${b}`;
      const scope = onnxPath(block);
      const stride = stageIdx > 0 && b === 0 ? 2 : 1;
      const blockIn = x;
      let y = conv(`${block}.conv1`, blockIn, inC, outC, 3, stride, 1);
      y = bn(`${block}.bn1`, y, outC);
      y = relu(`${scope}/relu`, y);
      y = conv(`${block}.conv2`, y, outC, outC, 3, 1, 1);
      y = bn(`${block}.bn2`, y, outC);
      let identity = blockIn;
      if (stride !== 1 || inC !== outC) {
        identity = conv(`${block}.downsample.0`, blockIn, inC, outC, 1, stride, 0);
        identity = bn(`${block}.downsample.1`, identity, outC);
      }
      const addNode = `${scope}/Add`;
      layers.push({ op: 'add', node: addNode, inputs: [y, identity], output: `${addNode}_output_0` });
      x = relu(`${scope}/relu_1`, `${addNode}_output_0`);
      inC = outC;
    }
  });
  layers.push({ op: 'gap', node: '/avgpool/GlobalAveragePool', input: x, output: '/avgpool/GlobalAveragePool_output_0' });
  layers.push({ op: 'flatten', node: '/Flatten', input: '/avgpool/GlobalAveragePool_output_0', output: '/Flatten_output_0' });
  layers.push({ op: 'fc', node: '/fc/Gemm', module: 'fc', input: '/Flatten_output_0', output: RESNET18_OUTPUT_NAME, inF: 512, outF: RESNET18_NUM_CLASSES });
  return layers;
}

/** The network's operations in execution order (shared by the ONNX builder and the JS reference forward pass). */
export const RESNET18_LAYERS: readonly Resnet18Layer[] = buildLayers();

/** Every parameter and BN buffer in torchvision's state_dict order (without `num_batches_tracked`). */
export const RESNET18_PARAMS: readonly Resnet18Param[] = RESNET18_LAYERS.flatMap((l): Resnet18Param[] => {
  if (l.op === 'conv') return [{ name: `${l.module}.weight`, dims: [l.outC, l.inC, l.kernel, l.kernel], role: 'conv-weight', module: l.module }];
  if (l.op === 'bn') {
    const d = [l.channels];
    return [
      { name: `${l.module}.weight`, dims: d, role: 'bn-weight', module: l.module },
      { name: `${l.module}.bias`, dims: d, role: 'bn-bias', module: l.module },
      { name: `${l.module}.running_mean`, dims: d, role: 'bn-running-mean', module: l.module },
      { name: `${l.module}.running_var`, dims: d, role: 'bn-running-var', module: l.module },
    ];
  }
  if (l.op === 'fc') {
    return [
      { name: 'fc.weight', dims: [l.outF, l.inF], role: 'fc-weight', module: 'fc' },
      { name: 'fc.bias', dims: [l.outF], role: 'fc-bias', module: 'fc' },
    ];
  }
  return [];
});

export type Resnet18Weights = ReadonlyMap<string, Float32Array>;

export interface BuildResnet18Options {
  /** Written to ModelProto.doc_string (e.g. provenance). */
  docString?: string;
  producerName?: string;
  producerVersion?: string;
  /** Symbolic name of the batch dimension. */
  batchDim?: string;
}

/**
 * Build torchvision's ResNet-18 (BatchNormalization kept as explicit nodes; onnxruntime folds them
 * into the convolutions at load) from a full set of weights keyed by state_dict names.
 */
// eslint-disable-next-line max-lines-per-function -- the ResNet-18 architecture listed layer by layer, as in torchvision
export function buildResnet18(weights: Resnet18Weights, options: BuildResnet18Options = {}): OnnxModel {
  for (const p of RESNET18_PARAMS) {
    const w = weights.get(p.name);
    const n = p.dims.reduce((a, b) => a * b, 1);
    if (!w) throw new Error(`buildResnet18: weight "${p.name}" is missing; pass all ${RESNET18_PARAMS.length} entries of RESNET18_PARAMS`);
    if (w.length !== n) throw new Error(`buildResnet18: weight "${p.name}" needs ${n} values for [${p.dims.join(', ')}], received ${w.length}`);
  }
  const nodes: OnnxNode[] = RESNET18_LAYERS.map((l): OnnxNode => {
    switch (l.op) {
      case 'conv':
        return {
          name: l.node,
          opType: 'Conv',
          input: [l.input, `${l.module}.weight`],
          output: [l.output],
          attribute: [
            attrInts('dilations', [1, 1]),
            attrInt('group', 1),
            attrInts('kernel_shape', [l.kernel, l.kernel]),
            attrInts('pads', [l.pad, l.pad, l.pad, l.pad]),
            attrInts('strides', [l.stride, l.stride]),
          ],
        };
      case 'bn':
        return {
          name: l.node,
          opType: 'BatchNormalization',
          input: [l.input, `${l.module}.weight`, `${l.module}.bias`, `${l.module}.running_mean`, `${l.module}.running_var`],
          output: [l.output],
          attribute: [attrFloat('epsilon', BN_EPSILON), attrFloat('momentum', 0.9)],
        };
      case 'relu':
        return { name: l.node, opType: 'Relu', input: [l.input], output: [l.output], attribute: [] };
      case 'maxpool':
        return {
          name: l.node,
          opType: 'MaxPool',
          input: [l.input],
          output: [l.output],
          attribute: [
            attrInt('ceil_mode', 0),
            attrInts('dilations', [1, 1]),
            attrInts('kernel_shape', [3, 3]),
            attrInts('pads', [1, 1, 1, 1]),
            attrInts('strides', [2, 2]),
          ],
        };
      case 'add':
        return { name: l.node, opType: 'Add', input: [...l.inputs], output: [l.output], attribute: [] };
      case 'gap':
        return { name: l.node, opType: 'GlobalAveragePool', input: [l.input], output: [l.output], attribute: [] };
      case 'flatten':
        return { name: l.node, opType: 'Flatten', input: [l.input], output: [l.output], attribute: [attrInt('axis', 1)] };
      case 'fc':
        return {
          name: l.node,
          opType: 'Gemm',
          input: [l.input, 'fc.weight', 'fc.bias'],
          output: [l.output],
          attribute: [attrFloat('alpha', 1), attrFloat('beta', 1), attrInt('transB', 1)],
        };
    }
  });
  const batch = options.batchDim ?? 'N';
  const model: OnnxModel = {
    irVersion: RESNET18_IR_VERSION,
    opsetImport: [{ domain: '', version: RESNET18_OPSET }],
    producerName: options.producerName ?? 'fieldeye',
    graph: {
      name: 'resnet18',
      node: nodes,
      initializer: RESNET18_PARAMS.map((p) => float32Tensor(p.name, p.dims, weights.get(p.name) ?? new Float32Array(0))),
      input: [tensorValueInfo(RESNET18_INPUT_NAME, TensorDataType.FLOAT, [batch, 3, 224, 224])],
      output: [tensorValueInfo(RESNET18_OUTPUT_NAME, TensorDataType.FLOAT, [batch, RESNET18_NUM_CLASSES])],
      valueInfo: [],
    },
  };
  if (options.producerVersion !== undefined) model.producerVersion = options.producerVersion;
  if (options.docString !== undefined) model.docString = options.docString;
  return model;
}
