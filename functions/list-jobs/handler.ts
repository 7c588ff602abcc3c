import { runtime } from '../../src/aws/runtime.ts';
import { toJobView } from '../../src/contract/job-view.ts';
import { JobListQuerySchema, listJobs } from '../../src/jobs/admin/index.ts';
import { InvalidInputError } from '../../src/jobs/model/index.ts';
import { runningJobsFromReports } from '../../src/jobs/speculation/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';

/** `GET /jobs?status=|schedule=&tenant=&capacity=&priority=&limit=&cursor=`: jobs in one state (e.g. RUNNING) or of one schedule, of one tenant or all, paginated. */
export const handler = httpHandler(async (event) => {
  const query = JobListQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!query.success) throw InvalidInputError.fromZod(query.error);
  const store = runtime.store();
  const { jobs, cursor } = await listJobs(
    {
      store,
      running: runningJobsFromReports(store, runtime.workers()),
      // Only `?schedule=` reads the coordination table.
      fires: { read: (schedule) => runtime.fireLog().read(schedule) },
    },
    query.data,
  );
  return json(200, { items: jobs.map((job) => toJobView(job)), cursor });
});
