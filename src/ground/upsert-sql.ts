// INSERT ... ON CONFLICT statements for a table spec, in the SQL that SQLite (3.24+) and PostgreSQL both accept,
// so the GeoPackage and PostGIS stores dedupe and update by the same rules.
import type { TableSpec } from './ground-tables.js';

export interface ConflictRule {
  /** 'nothing' for facts that never change (results, health); 'update' for latest-wins documents (flights, status). */
  onConflict: 'nothing' | 'update';
  /** With 'update': columns a newer message may not blank out (a flight's ended_at once known). */
  keepIfNull?: readonly string[];
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The ON CONFLICT clause for `spec`'s natural key. */
export function conflictClause(spec: TableSpec, rule: ConflictRule): string {
  const key = spec.unique.map(quoteIdent).join(', ');
  if (rule.onConflict === 'nothing') return `ON CONFLICT (${key}) DO NOTHING`;
  const keep = new Set(rule.keepIfNull ?? []);
  const sets = spec.columns
    .filter((c) => !spec.unique.includes(c.name))
    .map((c) => c.name)
    .concat(spec.geometry ? ['geom'] : [])
    .map((name) => {
      const n = quoteIdent(name);
      return keep.has(name) ? `${n} = COALESCE(excluded.${n}, ${quoteIdent(spec.name)}.${n})` : `${n} = excluded.${n}`;
    });
  return `ON CONFLICT (${key}) DO UPDATE SET ${sets.join(', ')}`;
}

/** How each table treats a message whose key is already stored. */
export const CONFLICT_RULES: Record<string, ConflictRule> = {
  results: { onConflict: 'nothing' },
  footprints: { onConflict: 'nothing' },
  health: { onConflict: 'nothing' },
  rejected: { onConflict: 'nothing' },
  flights: { onConflict: 'update', keepIfNull: ['ended_at', 'kind'] },
  drone_status: { onConflict: 'update' },
  flight_tracks: { onConflict: 'update' },
  class_cells: { onConflict: 'update' },
};

export function ruleFor(spec: TableSpec): ConflictRule {
  const rule = CONFLICT_RULES[spec.name];
  if (rule === undefined) throw new Error(`upsert-sql: no conflict rule for table ${spec.name}; add one to CONFLICT_RULES`);
  return rule;
}
