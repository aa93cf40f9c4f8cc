// The prescription rules file (YAML): which class share triggers which rate, the rate elsewhere and where nobody
// looked, a buffer and a minimum zone size; a strict zod schema like the config's, so a typo names its key.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, formatIssues } from '../config/config-error.js';

/**
 * Rate units and how ISOXML carries them: the DDI of the setpoint rate and the factor from the unit to the DDI's
 * integer resolution (ISO 11783-11: DDI 1 is mm³/m², 1 L/ha = 100 mm³/m²; DDI 6 is mg/m², 1 kg/ha = 100 mg/m²).
 */
export const RATE_UNITS = {
  'L/ha': { ddi: '0001', toIsoxml: 100 },
  'kg/ha': { ddi: '0006', toIsoxml: 100 },
} as const;
export type RateUnit = keyof typeof RATE_UNITS;

/** The largest rate the ISOXML grid's int32 cells hold after the unit factor. */
const MAX_RATE = 2_000_000_000 / 100;

const rate = z
  .number({ error: `a rate (a number from 0 to ${MAX_RATE})` })
  .min(0, { error: `a rate (a number from 0 to ${MAX_RATE})` })
  .max(MAX_RATE, { error: `a rate (a number from 0 to ${MAX_RATE})` });

function intBetween(min: number, max: number) {
  const error = `an integer between ${min} and ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

const RuleSchema = z.strictObject({
  when: z.strictObject({
    /** A label of the model (top-1 class of the results). */
    class: z.string({ error: 'a class label (a string)' }).min(1, { error: 'a class label (a string)' }),
    /** Area share of the cell's imaged ground with this top-1 class, 0..1. */
    shareAtLeast: z.number({ error: 'a share between 0 and 1' }).min(0, { error: 'a share between 0 and 1' }).max(1, { error: 'a share between 0 and 1' }),
  }),
  rate,
});

export const PrescriptionRulesSchema = z.strictObject({
  /** Named in the ISOXML product and the summary. */
  product: z.string({ error: 'a product name (a string)' }).min(1, { error: 'a product name (a string)' }),
  unit: z.enum(Object.keys(RATE_UNITS) as [RateUnit, ...RateUnit[]], {
    error: `one of ${Object.keys(RATE_UNITS)
      .map((u) => `"${u}"`)
      .join(', ')}`,
  }),
  /** First match wins, in file order. */
  rules: z.array(RuleSchema, { error: 'a list of rules ({ when: { class, shareAtLeast }, rate })' }).min(1, { error: 'at least one rule' }),
  /** The rate of a seen cell no rule matches. */
  otherwise: rate.default(0),
  /** The rate of a cell no footprint covered: stated, never guessed from its neighbours. */
  unseen: rate,
  /** Cells within this many cells (including diagonals) of a triggering cell get at least its rate. */
  bufferCells: intBetween(0, 20).default(0),
  /** Connected zones of one rate smaller than this many cells take the rate around them. */
  minZoneCells: intBetween(1, 10_000).default(1),
});

export type PrescriptionRules = z.infer<typeof PrescriptionRulesSchema>;

/** Validates parsed YAML; errors list every problem with its key path, prefixed by the file's name. */
export function parseRules(input: unknown, name: string): PrescriptionRules {
  const parsed = PrescriptionRulesSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = formatIssues(PrescriptionRulesSchema, parsed.error.issues, input).map((line) => `${name}: ${line}`);
  throw new ConfigError(`--rules ${name}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n  ${problems.join('\n  ')}`, problems);
}

export async function readRules(path: string): Promise<PrescriptionRules> {
  const name = basename(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--rules ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let input: unknown;
  try {
    input = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`--rules ${name}: not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  return parseRules(input, name);
}
