import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emfPrinted } from '../../../test/helpers/emf-printed.ts';
import { JobMetricsRecorder } from './job-metrics-recorder.ts';

const options = { namespace: 'Test', serviceName: 'test' };

afterEach(() => vi.unstubAllEnvs());

describe('JobMetricsRecorder', () => {
  it('per queue: holds a worker’s events until flush, then prints one document per queue with every value', () => {
    vi.stubEnv('POWERTOOLS_DEV', '');
    const recorder = new JobMetricsRecorder(
      new Metrics(options),
      (defaultDimensions) => new Metrics({ ...options, defaultDimensions }),
    );
    const job = { capacity: 'cpu', priority: 'high' } as const;
    const before = emfPrinted(() => {
      for (const wait of [5, 7, 9]) recorder.started(job, 0, wait, false);
      recorder.started({ capacity: 'gpu', priority: 'low' }, 0, 1, false);
    });
    const flushed = emfPrinted(() => recorder.flush());
    expect(before).toHaveLength(0);
    expect(flushed).toHaveLength(2);
    expect(flushed.find((doc) => doc.Capacity === 'cpu')).toMatchObject({ Priority: 'high' });
    expect(Object.values(flushed.find((doc) => doc.Capacity === 'cpu')!).flat()).toEqual(
      expect.arrayContaining([5, 7, 9]),
    );
  });

  it('per queue: a flush with nothing new since the last one prints and warns nothing', () => {
    vi.stubEnv('POWERTOOLS_DEV', '');
    const recorder = new JobMetricsRecorder(
      new Metrics(options),
      (defaultDimensions) => new Metrics({ ...options, defaultDimensions }),
    );
    recorder.started({ capacity: 'cpu', priority: 'high' }, 0, 5, false);
    recorder.flush();
    const written: string[] = [];
    const capture = (stream: NodeJS.WriteStream) =>
      vi.spyOn(stream, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    const spies = [capture(process.stdout), capture(process.stderr)];
    try {
      recorder.flush();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(written).toEqual([]);
  });

  it('without per-queue recorders prints each event at once (a Lambda has no later)', () => {
    const recorder = new JobMetricsRecorder(new Metrics(options));
    const printed = emfPrinted(() => recorder.submitted({ capacity: 'cpu', priority: 'high' }));
    expect(printed).toHaveLength(1);
  });
});
