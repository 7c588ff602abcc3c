import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../cli/dashboard/dashboard-server.ts';
import { localClientConfig } from '../../local/aws-env.ts';
import { createClient, TailguardApiError } from '../../src/client/index.ts';
import { ALL_QUEUE_KEYS } from '../../src/jobs/model/index.ts';
import { CHROMIUM_PATH, hasChromium, launchChromium, watchedPage } from '../helpers/chromium.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client, deployment, waitForJob, waitUntilFinished } = testStack();

/** The page polls every 2 s; the stack's workers report every second. */
const eventually = <T>(read: () => Promise<T>, timeout = 30_000) => expect.poll(read, { timeout, interval: 250 });

describe.skipIf(!hasChromium)(
  hasChromium
    ? 'tailguard dashboard in headless Chromium, against the test stack'
    : `tailguard dashboard — SKIPPED: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`,
  () => {
    let dashboard: Dashboard | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      // The client the CLI makes for this API: SigV4 with the emulator's credentials.
      const { region, credentials } = localClientConfig(deployment.endpoint);
      dashboard = await startDashboard({
        client: createClient({ apiUrl: deployment.apiUrl, region, credentials }),
        apiUrl: deployment.apiUrl,
        port: 0,
      });
      browser = await launchChromium();
      ({ page, problems } = await watchedPage(browser));
      await page.goto(dashboard.url);
    });

    afterAll(async () => {
      await browser?.close();
      await dashboard?.close();
    });

    it('renders the live queues, workers, tenants and running jobs of the stack', async () => {
      // Prepare: a job waiting out an SQS delay in cpu-critical, and one running with progress.
      const delayed = await client.submit({ type: 'noop', priority: 'critical', delaySeconds: 120 });
      const running = await client.submit({
        type: 'sleep',
        // 20 steps of 2 s (16 s on the stack's 8× slow worker), each reporting progress.
        payload: { ms: 40_000 },
        priority: 'high',
        speculation: false,
        tenant: 'dash-acme',
      });
      try {
        await waitForJob(running.body.id, (j) => j.status === 'RUNNING', 'running');
        // Assess: the running job, with the progress its heartbeats carry.
        const bar = page.locator(`#running tr[data-job="${running.body.id}"] [role=progressbar]`);
        await eventually(async () => Number(await bar.getAttribute('aria-valuenow')), 45_000).toBeGreaterThan(0);
        // The tenants panel: the running job's tenant, with its attempt (the whole panel read, so a
        // miss shows what it listed instead).
        const tenantRows = () =>
          page
            .locator('#tenants tr[data-tenant]')
            .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)));
        await eventually(tenantRows).toContainEqual([
          'dash-acme',
          expect.stringMatching(/^[1-9]/),
          expect.any(String),
          expect.any(String),
        ]);
        // Every queue, cpu-critical with the delayed job in it.
        await eventually(() =>
          page
            .locator('#queues tr[data-queue]')
            .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-queue'))),
        ).toEqual([...ALL_QUEUE_KEYS]);
        const delayedCell = page.locator('#queues tr[data-queue="cpu-critical"] td').nth(3);
        await eventually(async () => Number(await delayedCell.textContent())).toBeGreaterThanOrEqual(1);
        // The workers GET /stats reports, read at the same moment as the page (the pool is stable
        // in this file, but a poll of the page can lag one report).
        const { shown, live } = await waitFor(
          async () => ({
            shown: (
              await page
                .locator('#workers tr[data-worker]')
                .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-worker') ?? ''))
            ).sort(),
            live: (await client.stats()).workers.map((w) => w.workerId).sort(),
          }),
          ({ shown, live }) => live.length > 0 && shown.join() === live.join(),
          { timeoutMs: 30_000, intervalMs: 500, what: 'the page to list the live workers of GET /stats' },
        );
        expect(shown).toEqual(live);
        expect(shown).toContain('local-cpu-slow');
      } finally {
        await cancelUnlessFinished(delayed.body.id);
        await cancelUnlessFinished(running.body.id);
      }
      await waitUntilFinished(running.body.id);
    });

    it('requeues a dead job with the button of the dead-letter list, and shows its attempt timeline', async () => {
      // Prepare: a dead job in a queue the suite leaves few dead jobs in, that queue picked.
      const submitted = await client.submit({ type: 'poison', priority: 'critical' });
      const dead = await waitUntilFinished(submitted.body.id);
      expect(dead.status).toBe('DEAD');
      await page.locator('#dead-queue').selectOption('cpu-critical');
      const requeue = page.locator(`#dead button[data-requeue="${dead.id}"]`);
      await requeue.waitFor({ timeout: 30_000 });
      // Act
      await requeue.click();
      // Assess: the API answered the job QUEUED, and it ran again (and, poison, died again).
      await eventually(() => page.locator('#notice').textContent()).toBe(`requeue ${dead.id.slice(0, 8)}: now QUEUED`);
      const rerun = await waitForJob(
        dead.id,
        (j) => j.status === 'DEAD' && j.attemptHistory.length === 2,
        'a second attempt after the requeue',
      );
      expect(rerun.attemptHistory.map((a) => a.outcome)).toEqual(['failed', 'failed']);
      // Its page: one timeline lane per attempt.
      await page.goto(`${dashboard!.url}#/jobs/${dead.id}`);
      await eventually(() => page.locator('#timeline [data-attempt]').count()).toBe(2);
    });

    it("shows a finished workflow's steps, the critical path through its slow branch highlighted", async () => {
      // Prepare: b sleeps, c does not; d waits for both.
      const { id } = await client.submitWorkflow({
        steps: [
          { name: 'a', type: 'noop' },
          { name: 'b', type: 'sleep', payload: { ms: 1500 }, dependsOn: ['a'] },
          { name: 'c', type: 'noop', dependsOn: ['a'] },
          { name: 'd', type: 'noop', dependsOn: ['b', 'c'] },
        ],
      });
      await waitFor(
        () => client.getWorkflow(id),
        (workflow) => workflow.status !== 'RUNNING',
        { timeoutMs: 60_000, what: `workflow ${id} to end` },
      );
      // Act
      await page.goto(`${dashboard!.url}#/workflows/${id}`);
      // Assess
      await eventually(() => page.locator('#workflow-title').textContent()).toBe(`${id} SUCCEEDED`);
      expect(await page.locator('tr.critical').evaluateAll((rows) => rows.map((row) => row.dataset.step))).toEqual([
        'a',
        'b',
        'd',
      ]);
      expect(await page.locator('#critical-path').textContent()).toContain('a → b → d');
    });

    it('ran in the browser without script errors or failed requests', () => {
      expect(problems).toEqual([]);
    });
  },
);

/** Cancels a job this file started, unless it finished already (409). */
async function cancelUnlessFinished(id: string): Promise<void> {
  await client.cancel(id).catch((error: unknown) => {
    if (!(error instanceof TailguardApiError && error.status === 409)) throw error;
  });
}
