// The contract every ground store passes (GeoPackage and PostGIS): every kind of record lands in its table, a
// redelivered message changes nothing (also across a reopen), latest-wins documents update, tracks are rebuilt.
import { afterEach, describe, expect, test } from 'vitest';
import type { GroundQueries, GroundRecord, GroundStore } from '../../src/ground/ground-store.js';
import { listFlights } from '../../src/ground/flight-history.js';
import { classCells } from '../../src/ground/class-grid.js';
import { groundResult, mixedBatch, resultRecord, sampleFlight } from './ground-samples.js';

export interface StoreHarness {
  /** Opens the store on the same file / database every time it is called within one test. */
  open(): Promise<GroundStore & GroundQueries>;
  /** One number from SQL that both SQLite and PostgreSQL accept. */
  scalar(sql: string): Promise<number>;
  /** A fresh file / database for the next test. */
  reset(): Promise<void>;
}

/** Opens stores for the tests of one describe block and closes them (and resets the harness) after each test. */
function storeOpener(harness: () => StoreHarness): () => Promise<GroundStore & GroundQueries> {
  const open: GroundStore[] = [];
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    await harness().reset();
  });
  return async () => {
    const store = await harness().open();
    open.push(store);
    return store;
  };
}

export function groundStoreContract(name: string, harness: () => StoreHarness): void {
  describe(`${name} (ground store contract): writes`, () => {
    const openStore = storeOpener(harness);

    test('stores every kind of message in its table in one write', async () => {
      const store = await openStore();
      const outcome = await store.write(mixedBatch('d1', 'f1', 9));
      expect(outcome).toEqual({
        resultsInserted: 9,
        resultsDuplicate: 0,
        footprintsInserted: 6, // seq % 3 === 2 has no position and no footprint
        healthInserted: 1,
        flightsUpserted: 1,
        statusesUpserted: 1,
        rejectedInserted: 1,
      });
      const h = harness();
      expect(await h.scalar('SELECT count(*) FROM results')).toBe(9);
      expect(await h.scalar('SELECT count(*) FROM results WHERE geom IS NULL')).toBe(3);
      expect(await h.scalar('SELECT count(*) FROM footprints')).toBe(6);
      expect(await h.scalar('SELECT count(*) FROM health')).toBe(1);
      expect(await h.scalar('SELECT count(*) FROM flights')).toBe(1);
      expect(await h.scalar('SELECT count(*) FROM drone_status')).toBe(1);
      expect(await h.scalar('SELECT count(*) FROM rejected')).toBe(1);
      expect(await h.scalar("SELECT top1_score FROM results WHERE seq = 4 AND drone_id = 'd1'")).toBeCloseTo(0.82, 12);
    });

    test('a redelivered message is a no-op: in the same batch, in a later batch and after a reopen', async () => {
      const store = await openStore();
      const batch = mixedBatch('d1', 'f1', 6);
      const twice = [...batch, ...batch.filter((r) => r.kind === 'result')];
      const first = await store.write(twice);
      expect(first.resultsInserted).toBe(6);
      expect(first.resultsDuplicate).toBe(6);
      const again = await store.write(batch);
      expect(again.resultsInserted).toBe(0);
      expect(again.resultsDuplicate).toBe(6);
      expect(again.footprintsInserted).toBe(0);
      expect(again.healthInserted).toBe(0);
      expect(again.rejectedInserted).toBe(0);
      await store.close(); // closing twice is harmless: afterEach closes it again
      const reopened = await openStore();
      expect((await reopened.write(batch)).resultsInserted).toBe(0);
      expect(await harness().scalar('SELECT count(*) FROM results')).toBe(6);
      expect(await harness().scalar('SELECT count(*) FROM footprints')).toBe(4);
    });

    test('rows are unique per drone and flight: the same seq of another flight or drone is stored', async () => {
      const store = await openStore();
      const records: GroundRecord[] = [
        resultRecord(groundResult('d1', 'f1', 0)),
        resultRecord(groundResult('d1', 'f2', 0)),
        resultRecord(groundResult('d2', 'f1', 0)),
      ];
      expect((await store.write(records)).resultsInserted).toBe(3);
    });

    test('a flight document is latest-wins, and a late copy without endedAt does not reopen the flight', async () => {
      const store = await openStore();
      const doc = (endedAt: string | null): GroundRecord => ({
        kind: 'flight',
        topic: 'fieldeye/v1/d1/flight',
        receivedAt: '2024-05-01T10:00:00.000Z',
        flight: sampleFlight('d1', 'f1', endedAt),
      });
      await store.write([doc(null)]);
      await store.write([doc('2013-06-04T14:00:00.000Z')]);
      await store.write([doc(null), doc(null)]);
      expect(await harness().scalar('SELECT count(*) FROM flights')).toBe(1);
      expect(await harness().scalar('SELECT count(*) FROM flights WHERE ended_at IS NOT NULL')).toBe(1);
    });
  });

  describe(`${name} (ground store contract): derived layers and history`, () => {
    const openStore = storeOpener(harness);

    test('past flights: one summary per flight, newest first, with its span, extent, classes and flight document', async () => {
      const store = await openStore();
      await store.write([...mixedBatch('d1', 'f1', 9), resultRecord(groundResult('d2', 'solo', 0))]);
      const flights = await listFlights(store);
      expect(flights.map((f) => `${f.droneId}/${f.flightId}`)).toEqual(['d1/f1', 'd2/solo']);
      expect(flights[0]).toMatchObject({
        kind: 'run',
        startedAt: '2013-06-04T13:40:00.000Z',
        endedAt: null,
        modelSha256: 'a'.repeat(64),
        results: 9,
        firstCapturedAt: '2013-06-04T13:40:00.000Z',
        lastCapturedAt: '2013-06-04T13:40:16.000Z',
        classes: { crop: 9 },
      });
      expect(flights[0]?.bbox?.[1]).toBeCloseTo(41.0349, 9);
      expect(flights[0]?.bbox?.[3]).toBeCloseTo(41.0349 + 7 * 0.00009, 9); // seq 8 has no position
      expect(flights[1]).toMatchObject({ kind: null, results: 1 });
      expect((await listFlights(store, 'd2')).map((f) => f.flightId)).toEqual(['solo']);
    });

    test('the class map is rebuilt per flight into cells of the worldwide grid, the same on every rebuild', async () => {
      const store = await openStore();
      const batch = mixedBatch('d1', 'f1', 30);
      await store.write(batch);
      const points = batch.flatMap((r) =>
        r.kind === 'result' && r.result.position ? [{ latDeg: r.result.position.latDeg, lonDeg: r.result.position.lonDeg, label: 'crop', score: 0.82 }] : [],
      );
      const expected = classCells(points, 25);
      expect(await store.rebuildClassCells([{ droneId: 'd1', flightId: 'f1' }], 25)).toBe(expected.length);
      expect(await store.rebuildClassCells([{ droneId: 'd1', flightId: 'f1' }], 25)).toBe(expected.length);
      const h = harness();
      expect(await h.scalar('SELECT count(*) FROM class_cells')).toBe(expected.length);
      expect(await h.scalar('SELECT sum(results) FROM class_cells')).toBe(20);
      expect(await h.scalar("SELECT count(*) FROM class_cells WHERE label = 'crop' AND share = 1")).toBe(expected.length);
      const first = expected[0];
      expect(await h.scalar(`SELECT results FROM class_cells WHERE cell_row = ${first?.row} AND cell_col = ${first?.col}`)).toBe(first?.results);
    });

    test('tracks are rebuilt from the positioned results in seq order, one line per flight', async () => {
      const store = await openStore();
      await store.write(mixedBatch('d1', 'f1', 9));
      await store.write([resultRecord(groundResult('d2', 'solo', 0))]);
      const tracks = await store.rebuildTracks([
        { droneId: 'd1', flightId: 'f1' },
        { droneId: 'd2', flightId: 'solo' },
      ]);
      expect(tracks).toBe(1); // one fix is not a line yet
      expect(await harness().scalar("SELECT points FROM flight_tracks WHERE flight_id = 'f1'")).toBe(6);
      expect(await harness().scalar("SELECT last_seq FROM flight_tracks WHERE flight_id = 'f1'")).toBe(7);
      await store.write([resultRecord(groundResult('d1', 'f1', 9))]);
      expect(await store.rebuildTracks([{ droneId: 'd1', flightId: 'f1' }])).toBe(1);
      expect(await harness().scalar("SELECT points FROM flight_tracks WHERE flight_id = 'f1'")).toBe(7);
    });
  });
}
