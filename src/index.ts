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
export { HEALTH_SCHEMA_VERSION, HealthSchema, type Health } from './publish/health-schema.js';
export { FLIGHT_SCHEMA_VERSION, FlightSchema, type Flight } from './publish/flight-schema.js';
export { StatusSchema, type Status } from './publish/status-schema.js';
export { COVERAGE_SCHEMA_VERSION, CoverageSchema, type Coverage } from './publish/coverage-schema.js';
export type { Sink } from './publish/sink.js';
