// Layer rules for src/ (docs/architecture.md): the folders are the data flow, each imports only the layers below it.
// `npm test` runs `depcruise src` with this file; a violating import fails the suite.

/** Bottom to top. A folder may import its own layer and any layer before it in this list, nothing after it. */
const LAYERS = [
  'platform', // logger, sd-notify, thermal sensors, machine info, small utilities: no domain
  'onnx', // ONNX protobuf and graph I/O
  'config', // schema, loader, config errors
  'capture', // FrameSource port and adapters, frame wrappers
  'vision', // preprocessing, model card and loading, image classifier, worker
  'geo', // PositionSource port and adapters, track, footprint
  'publish', // Sink port, MQTT link, outbox, payload schemas
  'pipeline', // the stage loop, metrics, clock stamping
  'flight', // recording format, recorder, replay sources, import, diff, export
  'model', // building, quantizing, head fitting, graph rewrites
  'sim', // simulator, demo model, truth scoring
  'ground', // the ground-station store: MQTT subscriber into GeoPackage or PostGIS, export, history
  'field', // prescriptions and coverage maps from footprints
  'dashboard', // ground-station server (never the drone pipeline)
  'app', // composition roots
  'commands', // the CLI's commands (with src/cli.ts)
];

/** The ground station must not pull in the drone's pipeline. */
const DRONE_ONLY = ['pipeline', 'flight', 'model', 'sim', 'app'];

function above(index) {
  return LAYERS.slice(index + 1);
}

const layerRules = LAYERS.map((layer, index) => ({
  name: `layer-${layer}`,
  comment: `src/${layer} may import only the layers below it (${LAYERS.slice(0, index).join(', ') || 'none'})`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${above(index).join('|')})/` },
})).filter((rule) => above(LAYERS.indexOf(rule.name.slice('layer-'.length))).length > 0);

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'dashboard-not-drone',
      comment: 'the ground-station dashboard reads ground data and MQTT, never the drone pipeline',
      severity: 'error',
      from: { path: '^src/dashboard/' },
      to: { path: `^src/(${DRONE_ONLY.join('|')})/` },
    },
    {
      name: 'app-only-from-cli',
      comment: 'composition roots are imported by the command line only',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli\\.ts|commands/|app/)' },
      to: { path: '^src/app/' },
    },
    {
      name: 'no-cycles',
      comment: 'no import cycles, between files or folders',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a layer that needs another's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/dashboard/web/' },
  },
};
