// Runs `fieldeye ground` as its own process until the CLI wires it in; tests start it as a child so they can SIGKILL it:
//   node dist/src/ground/ground-main.js --config FILE
//   node dist/src/ground/ground-main.js export --config FILE --out NEW.gpkg [--drone ID] [--flight ID]
import { parseArgs } from 'node:util';
import { groundCommand } from './ground-command.js';
import { groundExportCommand } from './ground-export-command.js';

const USAGE =
  'usage: node dist/src/ground/ground-main.js --config FILE\n' +
  '       node dist/src/ground/ground-main.js export --config FILE --out NEW.gpkg [--drone ID] [--flight ID]\n';

async function main(argv: string[]): Promise<number> {
  const exporting = argv[0] === 'export';
  let values: { config?: string; out?: string; drone?: string; flight?: string };
  try {
    ({ values } = parseArgs({
      args: exporting ? argv.slice(1) : argv,
      options: { config: { type: 'string' }, out: { type: 'string' }, drone: { type: 'string' }, flight: { type: 'string' } },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  if (!values.config || (exporting && !values.out)) {
    process.stderr.write(USAGE);
    return 64;
  }
  if (!exporting) return await groundCommand({ config: values.config });
  return await groundExportCommand({
    config: values.config,
    out: values.out ?? '',
    ...(values.drone !== undefined ? { droneId: values.drone } : {}),
    ...(values.flight !== undefined ? { flightId: values.flight } : {}),
  });
}

const code = await main(process.argv.slice(2));
// pino writes asynchronously: let its last lines out before exiting.
setTimeout(() => process.exit(code), 50);
