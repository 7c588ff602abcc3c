export {
  DEFAULT_WINDOW_PER_WEIGHT,
  FairDispatch,
  type FairDispatchDeps,
  PLACE_LEASE_MS,
  windowOf,
} from './fair-dispatch.ts';
export { type TenantBacklog, TenantBacklogs } from './tenant-backlogs.ts';
export type { TenantWeights } from './tenant-weights.ts';
export { type FailureLog, windowFollowUp } from './window-follow-up.ts';
