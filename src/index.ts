// Public entry of the fieldeye package: what integrators and the dashboard import to read and validate results.
export {
  RESULT_SCHEMA_VERSION,
  ResultSchema,
  PositionSchema,
  TopClassSchema,
  type Result,
  type ResultPosition,
  type TopClass,
} from './publish/result-schema.js';
export type { Sink } from './publish/sink.js';
