// The prescription as an ISO 11783-10 task (TASKDATA/TASKDATA.XML + the grid's binary file), written by the isoxml
// package: a type 2 grid whose cells carry the rate, with its treatment zones (out of field 0, position lost = unseen),
// and, when a boundary was given, the field (PFD) with that boundary as its type 1 polygon, so the terminal shows it.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ISOXMLManager,
  TAGS,
  TaskTaskStatusEnum,
  type ExtendedPartfield,
  type ExtendedTask,
  type GridParameters,
  type ISOXMLReference,
  type ProcessDataVariable,
} from 'isoxml';
// The library's own XML writer (what saveISOXML uses), to write the folder terminals read instead of a zip.
import { js2xml } from 'isoxml/dist/xmlManager.js';
import { toGrid } from '../geo/grid-frame.js';
import { metresPerDegree } from '../geo/local-metres.js';
import { toUtm } from '../geo/utm.js';
import type { FieldBoundary } from './coverage-frame.js';
import { cellIndex, cellIndexAt, type PrescriptionGrid } from './prescription-grid.js';
import { RATE_UNITS, type PrescriptionRules } from './prescription-rules.js';

export interface IsoxmlGridInfo extends GridParameters {
  /** Integer value per ISOXML cell (rate x unit factor), row 0 = southern row, west to east. */
  values: Int32Array;
  ddi: string;
  /** The integer written per unit of rate. */
  factor: number;
}

/**
 * ISOXML grids are axis-aligned in latitude and longitude; the prescription's cells are rotated to the driving
 * direction. So the ISOXML grid gets cells of about the same size, and each takes the rate of the prescription cell
 * holding its centre (0, out of field, where no cell does). A terminal therefore sees the rotated cells' rates
 * resampled, stepped along their edges by up to one cell.
 */
export function sampleIsoxmlGrid(
  grid: PrescriptionGrid,
  rates: readonly number[],
  bbox: [number, number, number, number],
  factor: number,
): GridParameters & { values: Int32Array } {
  const [minX, minY, maxX, maxY] = bbox;
  const m = metresPerDegree((minY + maxY) / 2);
  const [cellWidth, cellHeight] = [grid.cellM / m.eastM, grid.cellM / m.northM];
  const numCols = Math.max(1, Math.ceil((maxX - minX) / cellWidth));
  const numRows = Math.max(1, Math.ceil((maxY - minY) / cellHeight));
  const index = cellIndex(grid);
  const values = new Int32Array(numCols * numRows);
  for (let y = 0; y < numRows; y++) {
    for (let x = 0; x < numCols; x++) {
      const [e, n] = toUtm(grid.zone, minX + (x + 0.5) * cellWidth, minY + (y + 0.5) * cellHeight);
      const [u, v] = toGrid(grid.frame, e, n);
      // A cell cut by the field edge holds the centre only if the centre is on its inner side.
      const i = cellIndexAt(grid, index, u, v);
      if (i !== undefined) values[y * numCols + x] = Math.round((rates[i] as number) * factor);
    }
  }
  return { minX, minY, numCols, numRows, cellWidth, cellHeight, values };
}

/** The field as a partfield whose boundary polygon (type 1, exterior and interior rings) is the given one; its reference. */
function addPartfield(manager: ISOXMLManager, boundary: FieldBoundary): ISOXMLReference {
  const partfield = manager.createEntityFromAttributes<ExtendedPartfield>(TAGS.Partfield, { PartfieldDesignator: boundary.name, PartfieldArea: 0 });
  // The library writes the rings as PLN type 1 with LSG/PNT children and sets the area (m², geodesic) from them.
  partfield.boundaryFromGeoJSON({ type: 'MultiPolygon', coordinates: boundary.polygons }, manager);
  const ref = manager.registerEntity(partfield);
  manager.rootElement.attributes.Partfield = [partfield];
  return ref;
}

/** Builds the task in a manager whose grid generators hand over `sampled` (the library then writes the .bin). */
function buildTask(sampled: GridParameters & { values: Int32Array }, rules: PrescriptionRules, name: string, boundary: FieldBoundary | null): ISOXMLManager {
  const { ddi, toIsoxml } = RATE_UNITS[rules.unit];
  const manager = new ISOXMLManager({
    fmisTitle: 'fieldeye',
    gridParamsGenerator: () => sampled,
    gridGenerator: () => sampled.values.buffer.slice(sampled.values.byteOffset, sampled.values.byteOffset + sampled.values.byteLength) as ArrayBuffer,
  });
  const product = manager.createEntityFromAttributes(TAGS.Product, { ProductDesignator: rules.product });
  const productRef = manager.registerEntity(product);
  manager.rootElement.attributes.Product = [product as never];
  const pdv = manager.createEntityFromAttributes<ProcessDataVariable>(TAGS.ProcessDataVariable, {
    ProcessDataDDI: ddi,
    ProcessDataValue: 0,
    ProductIdRef: productRef,
  });
  const task = manager.createEntityFromAttributes<ExtendedTask>(TAGS.Task, {
    TaskDesignator: name,
    TaskStatus: TaskTaskStatusEnum.Planned,
    ...(boundary ? { PartfieldIdRef: addPartfield(manager, boundary) } : {}),
  });
  // The geometry argument is only handed to the generators above, which already hold the sampled grid.
  task.addGridFromGeoJSON({ type: 'FeatureCollection', features: [] }, [pdv], ['RATE'], undefined, [Math.round(rules.unseen * toIsoxml)], [0]);
  manager.registerEntity(task);
  manager.rootElement.attributes.Task = [task];
  return manager;
}

/** Writes `dir`/TASKDATA/TASKDATA.XML and the grid file; returns what the grid holds (for the summary and tests). */
export async function writeTaskData(
  dir: string,
  grid: PrescriptionGrid,
  rates: readonly number[],
  bbox: [number, number, number, number],
  rules: PrescriptionRules,
  name: string,
  boundary: FieldBoundary | null = null,
): Promise<IsoxmlGridInfo & { files: string[] }> {
  const { ddi, toIsoxml } = RATE_UNITS[rules.unit];
  const sampled = sampleIsoxmlGrid(grid, rates, bbox, toIsoxml);
  const manager = buildTask(sampled, rules, name, boundary);
  // What saveISOXML does, minus the zip: toXML() queues the grid's binary file in filesToSave.
  manager.filesToSave = {};
  const xml = js2xml({ ISO11783_TaskData: manager.rootElement.toXML() });
  const folder = join(dir, 'TASKDATA');
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'TASKDATA.XML'), xml);
  const files = ['TASKDATA.XML'];
  for (const [file, data] of Object.entries(manager.filesToSave)) {
    await writeFile(join(folder, file), data);
    files.push(file);
  }
  return { ...sampled, ddi, factor: toIsoxml, files };
}
