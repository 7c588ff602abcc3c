export {
  DEFAULT_WINDOW_PER_WEIGHT,
  FairDispatch,
  type FairDispatchDeps,
  PLACE_LEASE_MS,
  windowOf,
} from './fair-dispatch.ts';
export { type TenantBacklog, TenantBacklogs } from './tenant-backlogs.ts';
export {
  DEFAULT_WEIGHT,
  EQUAL_WEIGHTS,
  StoredTenantWeights,
  type TenantWeights,
  WEIGHT_CACHE_MS,
} from './tenant-weights.ts';
