import { readSection } from '../../src/aws/environment/index.ts';
import { runtime } from '../../src/aws/runtime.ts';
import { toJobView } from '../../src/contract/job-view.ts';
import { cancelJob } from '../../src/jobs/admin/index.ts';
import { deleteStartSchedule } from '../../src/jobs/dispatch/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { jobIdParameter } from '../http/job-id.ts';

const { groupName: scheduleGroup } = readSection('schedules');

/** `POST /jobs/{id}/cancel`: 200 when cancelled, 202 while a running attempt is being stopped, 409 when finished. */
export const handler = httpHandler(async (event) => {
  const { job, immediate } = await cancelJob(
    runtime.store(),
    jobIdParameter(event),
    async (cancelled) => {
      // A far-off start waits in EventBridge Scheduler: remove it. (Had it fired, the claim drops it.)
      await deleteStartSchedule(runtime.scheduler(), scheduleGroup, cancelled);
    },
    // A job that never started leaves its tenant's count of waiting jobs with its cancel.
    (unstarted) => runtime.queuedCounts().onEndUnstarted(unstarted),
  );
  return json(immediate ? 200 : 202, { ...toJobView(job), cancelRequested: !immediate });
});
