// From cells to rates: the first matching rule per seen cell, the stated rate for unseen cells, a buffer around
// triggering cells, then small zones merged into the rate around them so the machine is not switched every metre.
import type { GridCell } from './prescription-grid.js';
import type { PrescriptionRules } from './prescription-rules.js';

export interface RatedGrid {
  /** One rate per grid cell, in the grid's order. */
  rates: number[];
  /** Cells a rule matched (before buffer and merging). */
  triggered: number;
  /** Cells whose rate the buffer raised. */
  buffered: number;
  /** Cells whose rate a small-zone merge changed. */
  merged: number;
}

const key = (row: number, col: number) => `${row}:${col}`;
const FOUR: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
];

function baseRate(cell: GridCell, rules: PrescriptionRules): { rate: number; triggered: boolean } {
  if (!cell.seen) return { rate: rules.unseen, triggered: false };
  for (const rule of rules.rules) {
    if ((cell.shares.get(rule.when.class) ?? 0) >= rule.when.shareAtLeast) return { rate: rule.rate, triggered: true };
  }
  return { rate: rules.otherwise, triggered: false };
}

/** Connected (edge-sharing) groups of cells with one rate, smallest first. */
function zones(cells: readonly GridCell[], rates: readonly number[], index: ReadonlyMap<string, number>): number[][] {
  const zoneOf = new Array<number>(cells.length).fill(-1);
  const out: number[][] = [];
  cells.forEach((_, start) => {
    if (zoneOf[start] !== -1) return;
    const members = [start];
    zoneOf[start] = out.length;
    for (let k = 0; k < members.length; k++) {
      const c = cells[members[k] as number] as GridCell;
      for (const [dr, dc] of FOUR) {
        const j = index.get(key(c.row + dr, c.col + dc));
        if (j !== undefined && zoneOf[j] === -1 && rates[j] === rates[start]) {
          zoneOf[j] = out.length;
          members.push(j);
        }
      }
    }
    out.push(members);
  });
  return out.sort((a, b) => a.length - b.length);
}

/** The rate along most of a zone's outline; ties go to the higher rate (better to treat than to miss). */
function surroundingRate(members: readonly number[], cells: readonly GridCell[], rates: readonly number[], index: ReadonlyMap<string, number>): number | null {
  const inside = new Set(members);
  const votes = new Map<number, number>();
  for (const m of members) {
    const c = cells[m] as GridCell;
    for (const [dr, dc] of FOUR) {
      const j = index.get(key(c.row + dr, c.col + dc));
      if (j !== undefined && !inside.has(j)) votes.set(rates[j] as number, (votes.get(rates[j] as number) ?? 0) + 1);
    }
  }
  let best: number | null = null;
  let most = 0;
  for (const [rate, n] of votes) if (n > most || (n === most && best !== null && rate > best)) [best, most] = [rate, n];
  return best;
}

/** True when a member of the zone or a cell next to it changed rate in this pass (the zone list is stale there). */
function touches(members: readonly number[], cells: readonly GridCell[], index: ReadonlyMap<string, number>, changed: ReadonlySet<number>): boolean {
  return members.some((m) => {
    const c = cells[m] as GridCell;
    return changed.has(m) || FOUR.some(([dr, dc]) => changed.has(index.get(key(c.row + dr, c.col + dc)) ?? -1));
  });
}

/** Merges zones below `minCells` until none is left (or a zone has no neighbour); returns how many cells changed. */
function mergeSmallZones(cells: readonly GridCell[], rates: number[], index: ReadonlyMap<string, number>, minCells: number): number {
  const changed = new Set<number>();
  // Every merge joins a zone to a neighbour of the same rate, so the number of zones falls with each: this ends.
  for (;;) {
    const now = new Set<number>();
    for (const members of zones(cells, rates, index)) {
      if (members.length >= minCells) break;
      // A zone next to one merged in this pass may have grown: it waits for the next pass's fresh zone list.
      if (touches(members, cells, index, now)) continue;
      const around = surroundingRate(members, cells, rates, index);
      if (around === null) continue;
      for (const m of members) {
        rates[m] = around;
        now.add(m);
        changed.add(m);
      }
    }
    if (now.size === 0) return changed.size;
  }
}

export function applyRules(cells: readonly GridCell[], rules: PrescriptionRules): RatedGrid {
  const index = new Map(cells.map((c, i) => [key(c.row, c.col), i]));
  const base = cells.map((c) => baseRate(c, rules));
  const rates = base.map((b) => b.rate);
  let buffered = 0;
  const b = rules.bufferCells;
  base.forEach(({ rate, triggered }, i) => {
    if (!triggered || b === 0) return;
    const c = cells[i] as GridCell;
    for (let dr = -b; dr <= b; dr++) {
      for (let dc = -b; dc <= b; dc++) {
        const j = index.get(key(c.row + dr, c.col + dc));
        if (j !== undefined && (rates[j] as number) < rate) {
          rates[j] = rate;
          buffered++;
        }
      }
    }
  });
  const merged = rules.minZoneCells > 1 ? mergeSmallZones(cells, rates, index, rules.minZoneCells) : 0;
  return { rates, triggered: base.filter((x) => x.triggered).length, buffered, merged };
}
