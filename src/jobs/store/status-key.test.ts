import { describe, expect, it } from 'vitest';
import { queued } from '../../../test/helpers/store-fixtures.ts';
import { JOB_STATUSES } from '../model/index.ts';
import { INDEXED_STATUSES, jobItem, STATUS_SHARDS, statusShardKey, statusShardKeys } from './status-key.ts';

describe('statusShardKey', () => {
  it('keys only the statuses people and the reaper list: the happy path never writes the index', () => {
    const keyed = JOB_STATUSES.filter((status) => statusShardKey({ ...queued, status }) !== undefined);
    expect(keyed).toEqual(
      (['HELD', ...INDEXED_STATUSES] as const)
        .slice()
        .sort((a, b) => JOB_STATUSES.indexOf(a) - JOB_STATUSES.indexOf(b)),
    );
    expect(jobItem({ ...queued, status: 'QUEUED' })).not.toHaveProperty('statusShard');
  });

  it('keys a held job by its queue and tenant, unsharded: a release reads the tenant’s oldest first', () => {
    expect(statusShardKey({ ...queued, status: 'HELD', tenant: 'acme' })).toBe('HELD#cpu#default#acme');
    expect(jobItem({ ...queued, status: 'HELD' }).statusShard).toBe('HELD#cpu#default#default');
  });

  it('spreads one queue’s jobs over every shard, each job always under the same one', () => {
    const ids = Array.from({ length: 800 }, (_, n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
    const perKey = new Map<string, number>();
    for (const id of ids) {
      const key = statusShardKey({ ...queued, id, status: 'DEAD' })!;
      expect(statusShardKey({ ...queued, id, status: 'DEAD' })).toBe(key);
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    expect([...perKey.keys()].sort()).toEqual(statusShardKeys('DEAD', 'cpu', 'default').sort());
    // No shard takes more than twice its even share.
    expect(Math.max(...perKey.values())).toBeLessThan((2 * ids.length) / STATUS_SHARDS);
  });
});
