// `fieldeye simulate`: parses the command's options, writes a synthetic survey flight and prints what it made.
import { createLogger } from '../platform/logger.js';
import { simulateFlight } from '../sim/simulator.js';

export interface SimulateCommandOptions {
  out: string;
  seed: number;
  area: string;
  alt: number;
  speed: number;
  exposureUs?: number;
}

/** "120x80" (metres east by north). */
export function parseArea(text: string): { widthM: number; heightM: number } {
  const m = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/i.exec(text.trim());
  if (!m) throw new Error(`--area: expected WIDTHxHEIGHT in metres (120x80), received "${text}"`);
  return { widthM: Number(m[1]), heightM: Number(m[2]) };
}

export async function simulateCommand(opts: SimulateCommandOptions): Promise<number> {
  const area = parseArea(opts.area);
  // Stdout is the report; logs go to stderr.
  const logger = createLogger({ level: (process.env['FIELDEYE_LOG_LEVEL'] ?? 'warn') as 'warn', destination: 2 });
  const started = performance.now();
  const sim = await simulateFlight({
    out: opts.out,
    seed: opts.seed,
    ...area,
    altAglM: opts.alt,
    speedMps: opts.speed,
    ...(opts.exposureUs !== undefined ? { exposureUs: opts.exposureUs } : {}),
    logger,
  });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `simulated ${sim.frames} frames (${sim.durationS.toFixed(0)} s of flight, seed ${opts.seed}, ${area.widthM}x${area.heightM} m at ${opts.alt} m, ${opts.speed} m/s) ` +
      `into ${opts.out} in ${seconds.toFixed(1)} s\n`,
  );
  return 0;
}
