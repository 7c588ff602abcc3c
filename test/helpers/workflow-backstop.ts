import { localAwsEnv } from '../../local/aws-env.ts';
import type { LocalDeployment } from '../../local/deploy.ts';
import { runtimeFor } from '../../src/aws/runtime.ts';
import { DEFAULT_REAPER_SETTINGS } from '../../src/jobs/reaper/index.ts';
import { advanceStalled } from '../../src/jobs/workflows/index.ts';

/**
 * One pass of the reaper's workflow backstop (`advanceStalled`, as functions/reaper runs it each
 * pass), run in this process against the deployed stack, over every open workflow unchanged
 * since `before` (ISO; default now: all of them). A test shows what one pass does without
 * waiting for the reaper's schedule and grace.
 */
export function workflowBackstopPass(deployment: LocalDeployment, before = new Date().toISOString()) {
  // The adapters take the stack's names from the deployment; the SDK its endpoint and credentials
  // from this process's environment, as the local stack sets them for its own process.
  Object.assign(process.env, localAwsEnv(deployment.endpoint));
  const runtime = runtimeFor(deployment.workerEnv);
  return advanceStalled(
    {
      workflows: runtime.workflows(),
      store: runtime.store(),
      dispatcher: runtime.dispatcher(),
      fairness: runtime.fairness(),
    },
    before,
    DEFAULT_REAPER_SETTINGS.maxPerQueue,
  );
}
