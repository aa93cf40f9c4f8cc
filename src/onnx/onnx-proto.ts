// ONNX ModelProto reading and writing: a hand-written subset of onnx.proto (field numbers from the ONNX spec) on protobufjs.
/* eslint-disable max-lines -- the ONNX protobuf messages and their codec in one file, mirroring onnx.proto; split by message it would scatter one wire format */
import protobuf from 'protobufjs';

/**
 * int64 fields come back as a number when they fit in a double exactly and as a bigint otherwise
 * (INT64_MAX shows up in Slice attributes), so a decode/encode round trip never changes a value.
 */
export type Int64 = number | bigint;

/** TensorProto.DataType values used by this project (the full enum lives in onnx.proto). */
export const TensorDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

export interface OnnxStringEntry {
  key: string;
  value: string;
}

export interface OnnxOpsetId {
  /** '' (or absent) is the default ai.onnx domain. */
  domain: string;
  version: Int64;
}

export interface OnnxTensor {
  name: string;
  dataType: number;
  dims: Int64[];
  /** Little-endian element bytes; the form this project writes. */
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  uint64Data?: Int64[];
  stringData?: Uint8Array[];
  docString?: string;
  externalData?: OnnxStringEntry[];
  /** 1 = EXTERNAL: the data lives in another file, which this reader does not follow. */
  dataLocation?: number;
  /** Fields this subset does not model (segment), kept as encoded bytes for a faithful rewrite. */
  opaqueSegment?: Uint8Array;
}

export interface OnnxDimension {
  dimValue?: Int64;
  dimParam?: string;
  denotation?: string;
}

export interface OnnxTensorType {
  elemType: number;
  /** Absent shape means unknown rank; an empty dim list means a scalar. */
  shape?: { dim: OnnxDimension[] };
}

export interface OnnxType {
  tensorType?: OnnxTensorType;
  denotation?: string;
  /** Sequence/map/optional/sparse types, kept as encoded bytes (this project only uses tensors). */
  opaque?: { field: 'sequenceType' | 'mapType' | 'optionalType' | 'sparseTensorType'; bytes: Uint8Array };
}

export interface OnnxValueInfo {
  name: string;
  type?: OnnxType;
  docString?: string;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  refAttrName?: string;
  docString?: string;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: OnnxTensor;
  g?: OnnxGraph;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: OnnxTensor[];
  graphs?: OnnxGraph[];
  /** sparse_tensor, tp, sparse_tensors, type_protos: kept as encoded bytes. */
  opaque?: { sparseTensor?: Uint8Array; tp?: Uint8Array; sparseTensors?: Uint8Array[]; typeProtos?: Uint8Array[] };
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
  docString?: string;
}

export interface OnnxTensorAnnotation {
  tensorName: string;
  quantParameterTensorNames: OnnxStringEntry[];
}

export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
  docString?: string;
  quantizationAnnotation?: OnnxTensorAnnotation[];
  /** sparse_initializer entries, kept as encoded bytes. */
  opaqueSparseInitializer?: Uint8Array[];
}

export interface OnnxModel {
  irVersion: Int64;
  opsetImport: OnnxOpsetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph: OnnxGraph;
  metadataProps?: OnnxStringEntry[];
  /** training_info and functions, kept as encoded bytes so a rewrite does not drop them. */
  opaqueTrainingInfo?: Uint8Array[];
  opaqueFunctions?: Uint8Array[];
}

// The subset of onnx.proto (proto2) this project reads and writes, typed from the spec's field
// numbers. Message-typed fields the project never inspects are declared `bytes`: a length-delimited
// field has the same wire form either way, so they survive a decode/encode round trip untouched.
const ONNX_SUBSET_PROTO = `
syntax = "proto2";
package fieldeye_onnx;

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional bytes segment = 3;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  optional string doc_string = 12;
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
}

message Dimension {
  optional int64 dim_value = 1;
  optional string dim_param = 2;
  optional string denotation = 3;
}

message TensorShapeProto {
  repeated Dimension dim = 1;
}

message TensorTypeProto {
  optional int32 elem_type = 1;
  optional TensorShapeProto shape = 2;
}

message TypeProto {
  optional TensorTypeProto tensor_type = 1;
  optional bytes sequence_type = 4;
  optional bytes map_type = 5;
  optional string denotation = 6;
  optional bytes sparse_tensor_type = 8;
  optional bytes optional_type = 9;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message AttributeProto {
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  optional string doc_string = 13;
  optional bytes tp = 14;
  repeated bytes type_protos = 15;
  optional int32 type = 20;
  optional string ref_attr_name = 21;
  optional bytes sparse_tensor = 22;
  repeated bytes sparse_tensors = 23;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  optional string domain = 7;
}

message TensorAnnotation {
  optional string tensor_name = 1;
  repeated StringStringEntryProto quant_parameter_tensor_names = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
  repeated TensorAnnotation quantization_annotation = 14;
  repeated bytes sparse_initializer = 15;
}

message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
  repeated bytes training_info = 20;
  repeated bytes functions = 25;
}
`;

const root = protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: false }).root;
const ModelProtoType = root.lookupType('fieldeye_onnx.ModelProto');

/** Thrown when bytes are not a decodable ONNX model. */
export class OnnxDecodeError extends Error {
  override readonly name = 'OnnxDecodeError';
}

// ---------------------------------------------------------------------------------------------
// Encoding: our interfaces -> plain objects protobufjs encodes (int64 bigints go as decimal strings,
// which protobufjs parses exactly through Long).

type Plain = Record<string, unknown>;

function i64Out(v: Int64): number | string {
  return typeof v === 'bigint' ? v.toString() : v;
}

function setIf(target: Plain, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

function entriesOut(list: OnnxStringEntry[] | undefined): Plain[] | undefined {
  return list?.map((e) => ({ key: e.key, value: e.value }));
}

function tensorOut(t: OnnxTensor): Plain {
  const o: Plain = { dims: t.dims.map(i64Out), dataType: t.dataType, name: t.name };
  setIf(o, 'rawData', t.rawData);
  setIf(o, 'floatData', t.floatData);
  setIf(o, 'int32Data', t.int32Data);
  setIf(o, 'int64Data', t.int64Data?.map(i64Out));
  setIf(o, 'doubleData', t.doubleData);
  setIf(o, 'uint64Data', t.uint64Data?.map(i64Out));
  setIf(o, 'stringData', t.stringData);
  setIf(o, 'docString', t.docString);
  setIf(o, 'externalData', entriesOut(t.externalData));
  setIf(o, 'dataLocation', t.dataLocation);
  setIf(o, 'segment', t.opaqueSegment);
  return o;
}

function typeOut(t: OnnxType): Plain {
  const o: Plain = {};
  if (t.tensorType) {
    const tt: Plain = { elemType: t.tensorType.elemType };
    if (t.tensorType.shape) {
      tt['shape'] = {
        dim: t.tensorType.shape.dim.map((d) => {
          const od: Plain = {};
          setIf(od, 'dimValue', d.dimValue === undefined ? undefined : i64Out(d.dimValue));
          setIf(od, 'dimParam', d.dimParam);
          setIf(od, 'denotation', d.denotation);
          return od;
        }),
      };
    }
    o['tensorType'] = tt;
  }
  if (t.opaque) o[t.opaque.field] = t.opaque.bytes;
  setIf(o, 'denotation', t.denotation);
  return o;
}

function valueInfoOut(v: OnnxValueInfo): Plain {
  const o: Plain = { name: v.name };
  if (v.type) o['type'] = typeOut(v.type);
  setIf(o, 'docString', v.docString);
  return o;
}

function attributeOut(a: OnnxAttribute): Plain {
  const o: Plain = { name: a.name, type: a.type };
  setIf(o, 'refAttrName', a.refAttrName);
  setIf(o, 'docString', a.docString);
  setIf(o, 'f', a.f);
  setIf(o, 'i', a.i === undefined ? undefined : i64Out(a.i));
  setIf(o, 's', a.s);
  setIf(o, 't', a.t ? tensorOut(a.t) : undefined);
  setIf(o, 'g', a.g ? graphOut(a.g) : undefined);
  setIf(o, 'floats', a.floats);
  setIf(o, 'ints', a.ints?.map(i64Out));
  setIf(o, 'strings', a.strings);
  setIf(o, 'tensors', a.tensors?.map(tensorOut));
  setIf(o, 'graphs', a.graphs?.map(graphOut));
  setIf(o, 'sparseTensor', a.opaque?.sparseTensor);
  setIf(o, 'tp', a.opaque?.tp);
  setIf(o, 'sparseTensors', a.opaque?.sparseTensors);
  setIf(o, 'typeProtos', a.opaque?.typeProtos);
  return o;
}

function nodeOut(n: OnnxNode): Plain {
  const o: Plain = { input: n.input, output: n.output, name: n.name, opType: n.opType, attribute: n.attribute.map(attributeOut) };
  setIf(o, 'domain', n.domain);
  setIf(o, 'docString', n.docString);
  return o;
}

function graphOut(g: OnnxGraph): Plain {
  const o: Plain = {
    node: g.node.map(nodeOut),
    name: g.name,
    initializer: g.initializer.map(tensorOut),
    input: g.input.map(valueInfoOut),
    output: g.output.map(valueInfoOut),
    valueInfo: g.valueInfo.map(valueInfoOut),
  };
  setIf(o, 'docString', g.docString);
  setIf(
    o,
    'quantizationAnnotation',
    g.quantizationAnnotation?.map((q) => ({ tensorName: q.tensorName, quantParameterTensorNames: entriesOut(q.quantParameterTensorNames) })),
  );
  setIf(o, 'sparseInitializer', g.opaqueSparseInitializer);
  return o;
}

/** Serialise a model to ONNX protobuf bytes. Same model in, same bytes out (fields go in field-number order). */
export function encodeModel(model: OnnxModel): Uint8Array {
  const o: Plain = {
    irVersion: i64Out(model.irVersion),
    opsetImport: model.opsetImport.map((op) => ({ domain: op.domain, version: i64Out(op.version) })),
    graph: graphOut(model.graph),
  };
  setIf(o, 'producerName', model.producerName);
  setIf(o, 'producerVersion', model.producerVersion);
  setIf(o, 'domain', model.domain);
  setIf(o, 'modelVersion', model.modelVersion === undefined ? undefined : i64Out(model.modelVersion));
  setIf(o, 'docString', model.docString);
  setIf(o, 'metadataProps', entriesOut(model.metadataProps));
  setIf(o, 'trainingInfo', model.opaqueTrainingInfo);
  setIf(o, 'functions', model.opaqueFunctions);
  return ModelProtoType.encode(o).finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding: protobufjs message instances -> our interfaces. Presence is read with hasOwnProperty
// because protobufjs puts proto2 defaults on the prototype.

type Msg = Record<string, unknown>;

function has(m: Msg, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, key);
}

function i64In(v: unknown): Int64 {
  if (typeof v === 'number') return v;
  // protobufjs returns Long instances for int64 when the `long` package is present.
  const s = String(v);
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}

function str(m: Msg, key: string): string {
  const v = m[key];
  return typeof v === 'string' ? v : '';
}

function optStr(m: Msg, key: string): string | undefined {
  return has(m, key) ? str(m, key) : undefined;
}

function arr(m: Msg, key: string): unknown[] {
  const v = m[key];
  return Array.isArray(v) ? v : [];
}

function optArr<T>(m: Msg, key: string, map: (x: unknown) => T): T[] | undefined {
  const a = arr(m, key);
  return a.length > 0 ? a.map(map) : undefined;
}

function bytesIn(v: unknown): Uint8Array {
  // A plain view (no copy): protobufjs hands out Node Buffers when it decodes a Buffer.
  return v instanceof Uint8Array ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(0);
}

function entriesIn(m: Msg, key: string): OnnxStringEntry[] | undefined {
  return optArr(m, key, (e) => ({ key: str(e as Msg, 'key'), value: str(e as Msg, 'value') }));
}

function tensorIn(m: Msg): OnnxTensor {
  const t: OnnxTensor = { name: str(m, 'name'), dataType: Number(m['dataType'] ?? 0), dims: arr(m, 'dims').map(i64In) };
  if (has(m, 'rawData')) t.rawData = bytesIn(m['rawData']);
  const floatData = optArr(m, 'floatData', Number);
  if (floatData) t.floatData = floatData;
  const int32Data = optArr(m, 'int32Data', Number);
  if (int32Data) t.int32Data = int32Data;
  const int64Data = optArr(m, 'int64Data', i64In);
  if (int64Data) t.int64Data = int64Data;
  const doubleData = optArr(m, 'doubleData', Number);
  if (doubleData) t.doubleData = doubleData;
  const uint64Data = optArr(m, 'uint64Data', i64In);
  if (uint64Data) t.uint64Data = uint64Data;
  const stringData = optArr(m, 'stringData', bytesIn);
  if (stringData) t.stringData = stringData;
  const docString = optStr(m, 'docString');
  if (docString !== undefined) t.docString = docString;
  const externalData = entriesIn(m, 'externalData');
  if (externalData) t.externalData = externalData;
  if (has(m, 'dataLocation')) t.dataLocation = Number(m['dataLocation']);
  if (has(m, 'segment')) t.opaqueSegment = bytesIn(m['segment']);
  return t;
}

function typeIn(m: Msg): OnnxType {
  const t: OnnxType = {};
  if (has(m, 'tensorType')) {
    const tt = m['tensorType'] as Msg;
    const tensorType: OnnxTensorType = { elemType: Number(tt['elemType'] ?? 0) };
    if (has(tt, 'shape')) {
      tensorType.shape = {
        dim: arr(tt['shape'] as Msg, 'dim').map((x) => {
          const dm = x as Msg;
          const d: OnnxDimension = {};
          if (has(dm, 'dimValue')) d.dimValue = i64In(dm['dimValue']);
          if (has(dm, 'dimParam')) d.dimParam = str(dm, 'dimParam');
          if (has(dm, 'denotation')) d.denotation = str(dm, 'denotation');
          return d;
        }),
      };
    }
    t.tensorType = tensorType;
  }
  for (const field of ['sequenceType', 'mapType', 'optionalType', 'sparseTensorType'] as const) {
    if (has(m, field)) t.opaque = { field, bytes: bytesIn(m[field]) };
  }
  const denotation = optStr(m, 'denotation');
  if (denotation !== undefined) t.denotation = denotation;
  return t;
}

function valueInfoIn(m: Msg): OnnxValueInfo {
  const v: OnnxValueInfo = { name: str(m, 'name') };
  if (has(m, 'type')) v.type = typeIn(m['type'] as Msg);
  const docString = optStr(m, 'docString');
  if (docString !== undefined) v.docString = docString;
  return v;
}

function attributeIn(m: Msg): OnnxAttribute {
  const a: OnnxAttribute = { name: str(m, 'name'), type: Number(m['type'] ?? 0) };
  const refAttrName = optStr(m, 'refAttrName');
  if (refAttrName !== undefined) a.refAttrName = refAttrName;
  const docString = optStr(m, 'docString');
  if (docString !== undefined) a.docString = docString;
  if (has(m, 'f')) a.f = Number(m['f']);
  if (has(m, 'i')) a.i = i64In(m['i']);
  if (has(m, 's')) a.s = bytesIn(m['s']);
  if (has(m, 't')) a.t = tensorIn(m['t'] as Msg);
  if (has(m, 'g')) a.g = graphIn(m['g'] as Msg);
  const floats = optArr(m, 'floats', Number);
  if (floats) a.floats = floats;
  const ints = optArr(m, 'ints', i64In);
  if (ints) a.ints = ints;
  const strings = optArr(m, 'strings', bytesIn);
  if (strings) a.strings = strings;
  const tensors = optArr(m, 'tensors', (x) => tensorIn(x as Msg));
  if (tensors) a.tensors = tensors;
  const graphs = optArr(m, 'graphs', (x) => graphIn(x as Msg));
  if (graphs) a.graphs = graphs;
  const opaque: NonNullable<OnnxAttribute['opaque']> = {};
  if (has(m, 'sparseTensor')) opaque.sparseTensor = bytesIn(m['sparseTensor']);
  if (has(m, 'tp')) opaque.tp = bytesIn(m['tp']);
  const sparseTensors = optArr(m, 'sparseTensors', bytesIn);
  if (sparseTensors) opaque.sparseTensors = sparseTensors;
  const typeProtos = optArr(m, 'typeProtos', bytesIn);
  if (typeProtos) opaque.typeProtos = typeProtos;
  if (Object.keys(opaque).length > 0) a.opaque = opaque;
  return a;
}

function nodeIn(m: Msg): OnnxNode {
  const n: OnnxNode = {
    name: str(m, 'name'),
    opType: str(m, 'opType'),
    input: arr(m, 'input').map(String),
    output: arr(m, 'output').map(String),
    attribute: arr(m, 'attribute').map((x) => attributeIn(x as Msg)),
  };
  const domain = optStr(m, 'domain');
  if (domain !== undefined) n.domain = domain;
  const docString = optStr(m, 'docString');
  if (docString !== undefined) n.docString = docString;
  return n;
}

function graphIn(m: Msg): OnnxGraph {
  const g: OnnxGraph = {
    name: str(m, 'name'),
    node: arr(m, 'node').map((x) => nodeIn(x as Msg)),
    initializer: arr(m, 'initializer').map((x) => tensorIn(x as Msg)),
    input: arr(m, 'input').map((x) => valueInfoIn(x as Msg)),
    output: arr(m, 'output').map((x) => valueInfoIn(x as Msg)),
    valueInfo: arr(m, 'valueInfo').map((x) => valueInfoIn(x as Msg)),
  };
  const docString = optStr(m, 'docString');
  if (docString !== undefined) g.docString = docString;
  const qa = optArr(m, 'quantizationAnnotation', (x) => ({
    tensorName: str(x as Msg, 'tensorName'),
    quantParameterTensorNames: entriesIn(x as Msg, 'quantParameterTensorNames') ?? [],
  }));
  if (qa) g.quantizationAnnotation = qa;
  const sparse = optArr(m, 'sparseInitializer', bytesIn);
  if (sparse) g.opaqueSparseInitializer = sparse;
  return g;
}

/**
 * Parse ONNX protobuf bytes. Throws OnnxDecodeError when the bytes are not protobuf or carry no
 * graph; tensor bytes are views into `bytes`, not copies, so keep `bytes` alive while using them.
 */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  let m: Msg;
  try {
    m = ModelProtoType.decode(bytes) as unknown as Msg;
  } catch (err) {
    throw new OnnxDecodeError(`not an ONNX protobuf: ${(err as Error).message}`);
  }
  if (!has(m, 'graph')) throw new OnnxDecodeError('not an ONNX model: the protobuf has no graph (field 7)');
  if (!has(m, 'irVersion')) throw new OnnxDecodeError('not an ONNX model: the protobuf has no ir_version (field 1)');
  const model: OnnxModel = {
    irVersion: i64In(m['irVersion']),
    opsetImport: arr(m, 'opsetImport').map((x) => ({ domain: str(x as Msg, 'domain'), version: i64In((x as Msg)['version'] ?? 0) })),
    graph: graphIn(m['graph'] as Msg),
  };
  const producerName = optStr(m, 'producerName');
  if (producerName !== undefined) model.producerName = producerName;
  const producerVersion = optStr(m, 'producerVersion');
  if (producerVersion !== undefined) model.producerVersion = producerVersion;
  const domain = optStr(m, 'domain');
  if (domain !== undefined) model.domain = domain;
  if (has(m, 'modelVersion')) model.modelVersion = i64In(m['modelVersion']);
  const docString = optStr(m, 'docString');
  if (docString !== undefined) model.docString = docString;
  const metadataProps = entriesIn(m, 'metadataProps');
  if (metadataProps) model.metadataProps = metadataProps;
  const trainingInfo = optArr(m, 'trainingInfo', bytesIn);
  if (trainingInfo) model.opaqueTrainingInfo = trainingInfo;
  const functions = optArr(m, 'functions', bytesIn);
  if (functions) model.opaqueFunctions = functions;
  return model;
}
