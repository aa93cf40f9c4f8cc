// Picks the ground store from store.url: "" opens the GeoPackage at store.path, postgres:// opens PostGIS.
import type { Logger } from '../platform/logger.js';
import type { GroundConfig } from './ground-config.js';
import { GeoPackageGroundStore } from './geopackage-store.js';
import type { GroundQueries, GroundStore } from './ground-store.js';
import type { RowReader } from './row-exchange.js';
import { PostgisGroundStore } from './postgis-store.js';

export async function openGroundStore(config: GroundConfig, logger: Logger): Promise<GroundStore & RowReader & GroundQueries> {
  if (config.store.url === '') return GeoPackageGroundStore.open(config.store.path);
  return await PostgisGroundStore.open(config.store.url, logger);
}
