import { readSection } from '../../src/aws/environment/index.ts';
import { runtime } from '../../src/aws/runtime.ts';
import { deleteStartSchedule } from '../../src/jobs/dispatch/index.ts';
import { cancelWorkflow } from '../../src/jobs/workflows/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { readWorkflowView, workflowIdParameter } from '../http/workflows.ts';

const { groupName: scheduleGroup } = readSection('schedules');

/**
 * `POST /workflows/{id}/cancel`: as `POST /jobs/{id}/cancel`, 200 when every step has ended, 202
 * while running steps are being stopped, 409 when the workflow had ended.
 */
export const handler = httpHandler(async (event) => {
  const id = workflowIdParameter(event);
  await cancelWorkflow(
    {
      workflows: runtime.workflows(),
      store: runtime.store(),
      dispatcher: runtime.dispatcher(),
      // A far-off start waits in EventBridge Scheduler: remove it. (Had it fired, the claim drops it.)
      onJobCancelled: async (job) => {
        await deleteStartSchedule(runtime.scheduler(), scheduleGroup, job);
      },
      // A root that never started leaves its tenant's count of waiting jobs with its cancel.
      onEndUnstarted: (job) => runtime.queuedCounts().onEndUnstarted(job),
    },
    id,
  );
  const view = await readWorkflowView(id);
  return json(view.status === 'CANCELLED' ? 200 : 202, view);
});
