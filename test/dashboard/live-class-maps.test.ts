// The live class maps kept up to date from the dashboard's own state: after any run of results, evictions, flight
// changes and zone moves, the map (whole, or an earlier one with the changes applied as the page does) is exactly the
// one classMapView computes from the results in memory.
import { describe, expect, it } from 'vitest';
import { classMapView, type ClassMapCellView, type ClassMapView } from '../../src/dashboard/class-map-view.js';
import { DashboardState } from '../../src/dashboard/dashboard-state.js';
import { LiveClassMaps } from '../../src/dashboard/live-class-maps.js';
import { topicLayout } from '../../src/publish/topic-layout.js';
import type { Result } from '../../src/publish/result-schema.js';
import { groundResult } from '../ground/ground-samples.js';
import { squareFootprint } from '../support/square-footprint.js';

const LABELS = [
  { index: 3, label: 'crop' },
  { index: 1, label: 'bare soil' },
  { index: 7, label: 'weeds' },
];

/** Footprints about 11 m across, 10 m apart, classes crop, bare soil, weeds in turn; every third without a position. */
function result(seq: number, flightId = 'f1', lonDeg?: number): Result {
  const base = groundResult('d1', flightId, seq);
  const top = [{ ...LABELS[seq % 3]!, score: 0.5 + (seq % 5) / 10 }];
  if (lonDeg === undefined || base.position === null) return { ...base, top };
  const lat = base.position.latDeg;
  return { ...base, top, position: { ...base.position, lonDeg }, target: { latDeg: lat, lonDeg }, footprint: squareFootprint(lat, lonDeg, 0.00005) };
}

function setUp(maxResultsPerDrone = 1000) {
  const state = new DashboardState({
    layout: topicLayout('fieldeye/v1/{droneId}/', 'x'),
    maxDrones: 4,
    maxResultsPerDrone,
    maxThumbsPerDrone: 0,
    diagnosticsKept: 5,
  });
  const maps = new LiveClassMaps(state);
  const send = (...results: Result[]) => {
    for (const r of results) state.ingest(`fieldeye/v1/${r.droneId}/result`, Buffer.from(JSON.stringify(r)));
  };
  /** What classMapView makes of the results the state holds now. */
  const recomputed = (cellM = 10): ClassMapView => {
    const live = state.flightResults('d1')!;
    return classMapView('d1', live.flightId, live.results, cellM);
  };
  return { state, maps, send, recomputed };
}

const seqs = (from: number, to: number, flightId?: string, lonDeg?: number) => Array.from({ length: to - from }, (_, i) => result(from + i, flightId, lonDeg));

/** The page's way: changed cells replace the old ones by row and column, new ones are added. */
function applied(before: ClassMapCellView[], delta: ClassMapCellView[]): ClassMapCellView[] {
  const cells = new Map(before.map((c) => [`${c.row}:${c.col}`, c]));
  for (const c of delta) cells.set(`${c.row}:${c.col}`, c);
  return [...cells.values()].sort((a, b) => a.row - b.row || a.col - b.col);
}

function withoutRevision(view: ClassMapView | undefined): ClassMapView {
  const { revision: _revision, full: _full, ...rest } = view!;
  return rest;
}

describe('LiveClassMaps', () => {
  it('answers the whole map, then only the changed cells, and both add up to what classMapView computes', () => {
    const { maps, send, recomputed } = setUp();
    send(...seqs(0, 30));
    const first = maps.view('d1', 10, null)!;
    expect(first.full).toBe(true);
    expect(withoutRevision(first)).toEqual(recomputed());
    expect(first.cells.length).toBeGreaterThan(20);

    send(...seqs(30, 45));
    const delta = maps.view('d1', 10, first.revision!)!;
    const whole = recomputed();
    expect(delta.full).toBe(false);
    expect(delta.footprints).toBe(whole.footprints);
    // Exactly the cells whose numbers changed or that are new, and applied to the first answer they give the whole map.
    const before = new Map(first.cells.map((c) => [`${c.row}:${c.col}`, JSON.stringify(c)]));
    const changed = whole.cells.filter((c) => before.get(`${c.row}:${c.col}`) !== JSON.stringify(c));
    expect(delta.cells).toEqual(changed);
    expect(delta.cells.length).toBeLessThan(whole.cells.length / 2);
    expect(applied(first.cells, delta.cells)).toEqual(whole.cells);

    // Nothing new: no cells and the same revision; a result without a footprint changes nothing either.
    send(result(47));
    const idle = maps.view('d1', 10, delta.revision!)!;
    expect([idle.full, idle.cells, idle.revision]).toEqual([false, [], delta.revision]);
  });

  it('answers the whole map to a revision it did not give, from an earlier build or of another cell size', () => {
    const { maps, send, recomputed } = setUp();
    send(...seqs(0, 12));
    const ten = maps.view('d1', 10, null)!;
    const [built, count] = ten.revision!.split('.');
    const [instance, generation] = built!.split('-');
    const others = [
      '',
      'garbage',
      '0.0',
      `${built}.999`,
      `${built}.-1`,
      `${built}.1e1`,
      `${instance}-${Number(generation) + 1}.${count}`,
      `ffffffff-${generation}.${count}`,
    ];
    expect(maps.view('d1', 10, `${built}.${count}`)!.full).toBe(false);
    for (const since of others) {
      const view = maps.view('d1', 10, since)!;
      expect(view.full, since).toBe(true);
      expect(withoutRevision(view)).toEqual(recomputed());
    }
    const five = maps.view('d1', 5, ten.revision!)!;
    expect(five.full).toBe(true);
    expect(withoutRevision(five)).toEqual(recomputed(5));
    expect(maps.view('nobody', 10, null)).toBeUndefined();
  });

  it('builds the map again after results leave memory, after a new flight, and when the footprints move into another UTM zone', () => {
    const { maps, send, recomputed } = setUp(20);
    send(...seqs(0, 15));
    const kept = maps.view('d1', 10, null)!;
    send(...seqs(15, 25)); // 5 evicted
    const afterEviction = maps.view('d1', 10, kept.revision!)!;
    expect(afterEviction.full).toBe(true);
    expect(withoutRevision(afterEviction)).toEqual(recomputed());

    // A later flight takes over: its map alone.
    const later = seqs(30, 36, 'f2');
    send(...later);
    const second = maps.view('d1', 10, afterEviction.revision!)!;
    expect([second.full, second.flightId]).toEqual([true, 'f2']);
    expect(withoutRevision(second)).toEqual(recomputed());

    // West of 6°E (zone 31), then far enough east that the footprints' centre is in zone 32: squares of zone 32.
    const { maps: maps2, send: send2, recomputed: recomputed2 } = setUp();
    send2(...seqs(0, 6, 'f1', 5.9995));
    const west = maps2.view('d1', 10, null)!;
    expect(west.epsg).toBe(32631);
    send2(...seqs(6, 9, 'f1', 6.01));
    const east = maps2.view('d1', 10, west.revision!)!;
    expect([east.full, east.epsg]).toEqual([true, 32632]);
    expect(withoutRevision(east)).toEqual(recomputed2());
  });

  it("answers the whole map to a page that kept another dashboard process's revision (a restart)", () => {
    const one = setUp();
    const two = setUp();
    one.send(...seqs(0, 12));
    two.send(...seqs(0, 12));
    const before = one.maps.view('d1', 10, null)!;
    const after = two.maps.view('d1', 10, before.revision!)!;
    expect(after.full).toBe(true);
    expect(after.revision).not.toBe(before.revision);
  });

  it('keeps a few cell sizes per drone, and starts from nothing once closed', () => {
    const { maps, send, recomputed } = setUp();
    send(...seqs(0, 9));
    const first = maps.view('d1', 10, null)!;
    for (const cellM of [2, 3, 4, 5]) maps.view('d1', cellM, null);
    // Size 10 was the least recently asked of five: dropped, so its old revision gets the whole map again.
    expect(maps.view('d1', 10, first.revision!)!.full).toBe(true);
    maps.close();
    send(...seqs(9, 12));
    expect(withoutRevision(maps.view('d1', 10, null))).toEqual(recomputed());
  });
});
