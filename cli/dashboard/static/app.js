/**
 * The Tailguard dashboard. Every 2 s it reads the API through the local server's `/api/` (which
 * signs each call with the operator's credentials) and redraws the view the URL names: `#/` the
 * overview, `#/jobs/<id>` one job, `#/workflows/<id>` one workflow. No framework: views are rebuilt
 * from the latest answers with `el`, which only ever sets text, so nothing a job carries (type,
 * error, result) is read as HTML.
 */

import { criticalPath, isJoin, runTime } from './critical-path.js';

const POLL_MS = 2000;
const CLASSES = ['cpu', 'gpu'];
const PRIORITIES = ['critical', 'high', 'default', 'low'];
/** The API's largest page. */
const PAGE = 100;
/** Ten minutes of polls in the chart. */
const CHART_POINTS = 300;
/** Finished races kept on the overview. */
const FINISHED_RACES = 20;
const TERMINAL = new Set(['SUCCEEDED', 'DEAD', 'CANCELLED']);
/** Spawned children shown at once, per spawning step. */
const CHILDREN_PAGE = 50;

const $ = (selector) => document.querySelector(selector);

/** An element with attributes (`on…` ones as listeners) and children (strings become text). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'className') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

/** Replaces a table's rows; `empty` is shown in one row when there are none. */
function fillTable(selector, rows, empty) {
  const body = $(`${selector} tbody`);
  const columns = $(selector).querySelectorAll('thead th').length || 1;
  body.replaceChildren(
    ...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: columns, className: 'muted' }, empty))]),
  );
}

/** A 0–1 fraction as a bar with its percentage. */
function bar(fraction, label = `${Math.round(fraction * 100)} %`) {
  const fill = el('span', { className: 'fill' });
  fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return el(
    'span',
    {
      className: 'bar',
      role: 'progressbar',
      'aria-valuemin': 0,
      'aria-valuemax': 100,
      'aria-valuenow': Math.round(fraction * 100),
    },
    fill,
    el('span', { className: 'label' }, label),
  );
}

const jobLink = (id) => el('a', { href: `#/jobs/${id}`, className: 'mono' }, id.slice(0, 8));
const workflowLink = (id, text) => el('a', { href: `#/workflows/${id}`, className: 'mono' }, text);
const queueOf = (job) => `${job.capacity}-${job.priority}`;
/** A wall-clock time from an ISO string or epoch ms. */
const time = (at) => (at ? new Date(at).toLocaleTimeString() : '–');

function duration(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** An API call through the local server; throws with the API's `code: message` on an error answer. */
async function api(path, init) {
  const response = await fetch(`/api/${path}`, init);
  const text = await response.text();
  const body = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    throw new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
  }
  return body;
}

/** One line above the page: how an action went (`info`), or why the API could not be read (`error`). */
function notify(message, kind) {
  const notice = $('#notice');
  notice.textContent = message;
  notice.className = kind;
  notice.hidden = false;
}

/**
 * Runs an operator action (requeue, redrive, cancel): POSTs `body` (if any) to `path`, says how
 * it went with `describe(answer)`, and redraws at once.
 */
async function act(button, what, path, describe, body) {
  button.disabled = true;
  try {
    const init =
      body === undefined
        ? { method: 'POST' }
        : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    notify(`${what}: ${describe(await api(path, init))}`, 'info');
  } catch (error) {
    notify(`${what} failed: ${error.message}`, 'error');
  } finally {
    button.disabled = false;
    await refresh();
  }
}

const nowStatus = (job) => `now ${job.status}`;

// ---- overview --------------------------------------------------------------------------------

function renderQueues(stats) {
  fillTable(
    '#queues',
    CLASSES.flatMap((capacity) =>
      PRIORITIES.map((priority) => {
        const queue = `${capacity}-${priority}`;
        const depth = stats.queues[queue] ?? { visible: 0, inFlight: 0, delayed: 0, deadLettered: 0 };
        return el(
          'tr',
          { 'data-queue': queue },
          el('td', {}, queue),
          el('td', { className: 'number' }, String(depth.visible)),
          el('td', { className: 'number' }, String(depth.inFlight)),
          el('td', { className: 'number' }, String(depth.delayed)),
          el('td', { className: depth.deadLettered > 0 ? 'number alert' : 'number' }, String(depth.deadLettered)),
        );
      }),
    ),
    'no queues',
  );
  fillTable(
    '#classes',
    CLASSES.map((capacity) =>
      el(
        'tr',
        { 'data-class': capacity },
        el('td', {}, capacity),
        el('td', { className: 'number' }, String(stats.running[capacity] ?? 0)),
        el('td', { className: 'number' }, String(stats.dead[capacity] ?? 0)),
        el('td', { className: 'number' }, String(stats.workers.filter((w) => w.capacity === capacity).length)),
      ),
    ),
    'no classes',
  );
}

/** Waiting (visible + delayed) and running jobs per class, one point per poll. */
const chartData = [[], ...CLASSES.flatMap(() => [[], []])];
let chart;

function renderChart(stats) {
  chartData[0].push(Date.now() / 1000);
  for (const [i, capacity] of CLASSES.entries()) {
    const waiting = PRIORITIES.reduce((sum, p) => {
      const depth = stats.queues[`${capacity}-${p}`];
      return sum + (depth ? depth.visible + depth.delayed : 0);
    }, 0);
    chartData[1 + 2 * i].push(waiting);
    chartData[2 + 2 * i].push(stats.running[capacity] ?? 0);
  }
  for (const series of chartData) if (series.length > CHART_POINTS) series.shift();
  // The page works without the chart if its library did not load.
  if (!window.uPlot) return;
  const target = $('#chart');
  if (!chart) {
    const colours = { cpu: ['#7aa2f7', '#2a5bd7'], gpu: ['#f7b267', '#d9480f'] };
    chart = new window.uPlot(
      {
        width: target.clientWidth || 480,
        height: 180,
        scales: { x: { time: true } },
        series: [
          {},
          ...CLASSES.flatMap((capacity) => [
            { label: `${capacity} waiting`, stroke: colours[capacity][0], width: 2 },
            { label: `${capacity} running`, stroke: colours[capacity][1], width: 2, dash: [4, 3] },
          ]),
        ],
        axes: [{}, { size: 40 }],
      },
      chartData,
      target,
    );
    window.addEventListener('resize', () => chart.setSize({ width: target.clientWidth, height: 180 }));
  } else {
    chart.setData(chartData);
  }
}

function renderWorkers(workers) {
  const sorted = [...workers].sort((a, b) => a.workerId.localeCompare(b.workerId));
  fillTable(
    '#workers',
    sorted.map((w) =>
      el(
        'tr',
        { 'data-worker': w.workerId },
        el('td', { className: 'mono' }, w.workerId),
        el('td', {}, w.capacity),
        el('td', { className: 'number' }, w.speed === undefined || w.speed === null ? '–' : w.speed.toFixed(2)),
        el('td', {}, w.onProbation ? el('span', { className: 'badge warn' }, 'on probation') : 'no'),
        el('td', { className: 'number' }, String(w.slots)),
        el('td', { className: 'number' }, String(w.running)),
        el('td', {}, bar(w.slots > 0 ? w.running / w.slots : 0, `${w.running} of ${w.slots}`)),
        el('td', {}, `${duration(Date.now() - Date.parse(w.lastSeenAt))} ago`),
      ),
    ),
    'no live workers',
  );
}

/** A queue wait: milliseconds under a second, else seconds to a tenth. */
const wait = (ms) => (ms === null || ms === undefined ? '–' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/** The busiest tenants, as GET /stats orders them. */
function renderTenants(tenants = []) {
  fillTable(
    '#tenants',
    tenants.map((t) =>
      el(
        'tr',
        { 'data-tenant': t.tenant },
        el('td', { className: 'mono' }, t.tenant),
        el('td', { className: 'number' }, String(t.running)),
        el('td', { className: 'number' }, String(t.queued)),
        el('td', { className: 'number' }, wait(t.waitP99Ms)),
      ),
    ),
    'no tenant has run or queued jobs lately',
  );
}

/** Queues where reviews of message checks found jobs waiting for their message past the grace. */
function renderMessageChecks(checks = {}) {
  const rows = Object.entries(checks)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([queue, found]) =>
      el(
        'tr',
        { 'data-queue': queue },
        el('td', {}, queue),
        el('td', { className: 'number' }, String(found.waitingPastGrace)),
        el('td', { className: 'number' }, `${Math.round(found.oldestWaitMs / 1000)} s`),
        el('td', {}, found.observedAt),
        el('td', { className: found.resentTotal > 0 ? 'number alert' : 'number' }, String(found.resentTotal)),
        el('td', {}, found.lastResentAt ? `${found.lastResentAt} (${found.lastResentJobs})` : '–'),
      ),
    );
  fillTable('#message-checks', rows, 'no job has waited past the grace');
}

/** Limited types: their limits, and for a concurrency limit the slots held now. */
function renderLimits(limits = {}) {
  const rows = Object.entries(limits)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, limit]) =>
      el(
        'tr',
        { 'data-type': type },
        el('td', {}, type),
        el('td', { className: 'number' }, limit.concurrency === undefined ? '–' : String(limit.concurrency)),
        el('td', { className: 'number' }, limit.perSecond === undefined ? '–' : String(limit.perSecond)),
        el('td', { className: 'number' }, limit.running === undefined ? '–' : String(limit.running)),
        el(
          'td',
          {},
          limit.concurrency === undefined
            ? ''
            : bar(limit.running / limit.concurrency, `${limit.running} of ${limit.concurrency}`),
        ),
      ),
    );
  fillTable('#limits', rows, 'no limited job types');
}

function renderSchedules(page) {
  const rows = page.items.map((schedule) => {
    const last = schedule.recentJobs[0];
    const zone = schedule.timezone === 'UTC' ? '' : ` ${schedule.timezone}`;
    return el(
      'tr',
      { 'data-schedule': schedule.name },
      el('td', {}, schedule.name),
      el('td', { className: 'mono' }, `${schedule.cron ?? schedule.rate}${zone}`),
      el('td', {}, schedule.state),
      el('td', {}, schedule.job.type),
      el('td', {}, schedule.nextFires[0] ?? '–'),
      el('td', {}, last ? jobLink(last.jobId) : el('span', { className: 'muted' }, 'none yet')),
      el('td', {}, last?.status ?? '–'),
    );
  });
  fillTable('#schedules', rows, 'no schedules');
}

/** The attempts of a job still running: the original, and a backup while it races. */
const openAttempts = (job) => job.attemptHistory.filter((a) => a.finishedAt === null);

function renderRunning(pages) {
  const jobs = pages.flatMap((page) => page.items);
  const rows = jobs.map((job) => {
    const open = openAttempts(job);
    const since = open.length > 0 ? Math.min(...open.map((a) => Date.parse(a.startedAt))) : Date.now();
    return el(
      'tr',
      { 'data-job': job.id },
      el('td', {}, jobLink(job.id)),
      el('td', {}, job.type),
      el('td', {}, queueOf(job)),
      el('td', { className: 'mono' }, open.map((a) => `${a.workerId}${a.speculative ? ' (backup)' : ''}`).join(', ')),
      el('td', {}, duration(Date.now() - since)),
      el('td', {}, job.progress === null ? el('span', { className: 'muted' }, 'not reported') : bar(job.progress)),
    );
  });
  fillTable('#running', rows, 'no running jobs');
  if (pages.some((page) => page.cursor !== null)) $('#running tbody').append(moreRow(6, `${PAGE} per class shown`));
}

const moreRow = (columns, text) => el('tr', {}, el('td', { colspan: columns, className: 'muted' }, text));

/**
 * Races of a job: each backup with the attempt it was started against (the latest earlier attempt
 * not yet over when the backup started).
 */
function racesOf(job) {
  const attempts = job.attemptHistory;
  return attempts
    .filter((a) => a.speculative)
    .map((backup) => ({
      backup,
      straggler: attempts
        .filter((a) => !a.speculative && a.startedAt <= backup.startedAt && (a.finishedAt ?? '~') >= backup.startedAt)
        .at(-1),
    }));
}

/** Jobs seen racing, by id: `finished` once read after they left RUNNING. */
const raced = new Map();

/** Remembers jobs racing now; reads each once after it stops running, to learn who won. */
async function trackRaces(running) {
  const runningIds = new Set(running.map((job) => job.id));
  for (const job of running) if (racesOf(job).length > 0) raced.set(job.id, { job, finished: false });
  const ended = [...raced.values()].filter((race) => !race.finished && !runningIds.has(race.job.id));
  await Promise.all(
    ended.map(async (race) => {
      race.job = await api(`jobs/${encodeURIComponent(race.job.id)}`);
      race.finished = true;
    }),
  );
  const finished = [...raced.values()].filter((race) => race.finished);
  for (const race of finished.slice(0, Math.max(0, finished.length - FINISHED_RACES))) raced.delete(race.job.id);
}

function attemptLabel(attempt) {
  if (!attempt) return el('span', { className: 'muted' }, 'unknown');
  const state = attempt.outcome ?? 'running';
  return el(
    'span',
    {},
    el('span', { className: 'mono' }, attempt.workerId),
    ` #${attempt.attempt} `,
    el('span', { className: `badge ${state}` }, state),
  );
}

function renderRaces() {
  const rows = [...raced.values()].reverse().flatMap(({ job }) =>
    racesOf(job).map(({ straggler, backup }) => {
      const winner = [straggler, backup].find((a) => a?.won);
      const result = winner
        ? `${winner === backup ? 'backup' : 'straggler'} won (${winner.workerId})`
        : TERMINAL.has(job.status)
          ? `job ${job.status}`
          : 'racing';
      return el(
        'tr',
        { 'data-race': `${job.id}-${backup.attempt}` },
        el('td', {}, jobLink(job.id)),
        el('td', {}, job.type),
        el('td', {}, attemptLabel(straggler)),
        el('td', {}, attemptLabel(backup)),
        el('td', { className: winner ? 'won' : '' }, result),
      );
    }),
  );
  fillTable('#races', rows, 'no stragglers racing a backup');
}

function renderDeadLetters(page, stats) {
  fillTable(
    '#dead',
    page.items.map((job) =>
      el(
        'tr',
        { 'data-job': job.id },
        el('td', {}, jobLink(job.id)),
        el('td', {}, job.type),
        el('td', {}, queueOf(job)),
        el('td', { className: 'number' }, String(job.attempts)),
        el('td', {}, time(job.finishedAt)),
        el('td', { className: 'error' }, job.error ? `${job.error.name}: ${job.error.message}` : ''),
        el(
          'td',
          {},
          el(
            'button',
            {
              type: 'button',
              'data-requeue': job.id,
              onclick: (event) =>
                act(event.currentTarget, `requeue ${job.id.slice(0, 8)}`, `dlq/${job.id}/requeue`, nowStatus),
            },
            'Requeue',
          ),
        ),
      ),
    ),
    'no dead jobs',
  );
  if (page.cursor !== null) $('#dead tbody').append(moreRow(7, `oldest ${PAGE} shown`));
  // A queue can be redriven when it has dead jobs or messages in its SQS DLQ.
  const queues = new Set(page.items.map(queueOf));
  for (const [queue, depth] of Object.entries(stats.queues)) if (depth.deadLettered > 0) queues.add(queue);
  $('#redrive').replaceChildren(
    ...[...queues].sort().map((queue) => {
      const [capacity, priority] = queue.split('-');
      return el(
        'button',
        {
          type: 'button',
          'data-redrive': queue,
          onclick: (event) =>
            act(
              event.currentTarget,
              `redrive ${queue}`,
              'dlq/redrive',
              (result) => `requeued ${result.requeued} jobs, moved ${result.messagesMoved} messages back`,
              { capacity, priority },
            ),
        },
        `Redrive ${queue}`,
      );
    }),
  );
}

/** The dead-letter list's query: all queues, or the one picked. */
function deadLetterQuery() {
  const queue = $('#dead-queue').value;
  if (!queue) return `limit=${PAGE}`;
  const [capacity, priority] = queue.split('-');
  return `capacity=${capacity}&priority=${priority}&limit=${PAGE}`;
}

async function refreshOverview() {
  const [stats, dead, schedules, ...running] = await Promise.all([
    api('stats'),
    api(`dlq?${deadLetterQuery()}`),
    api('schedules'),
    ...CLASSES.map((capacity) => api(`jobs?status=RUNNING&capacity=${capacity}&limit=${PAGE}`)),
  ]);
  renderQueues(stats);
  renderChart(stats);
  renderWorkers(stats.workers);
  renderTenants(stats.tenants);
  renderMessageChecks(stats.messageChecks);
  renderLimits(stats.limits);
  renderSchedules(schedules);
  renderRunning(running);
  await trackRaces(running.flatMap((page) => page.items));
  renderRaces();
  renderDeadLetters(dead, stats);
}

// ---- one job -----------------------------------------------------------------------------------

/** Attempts as bars on one time axis, from the first start to the last finish (or now). */
function renderTimeline(job) {
  const attempts = job.attemptHistory;
  $('#timeline').hidden = attempts.length === 0;
  if (attempts.length === 0) return;
  const now = Date.now();
  const running = attempts.some((a) => a.finishedAt === null);
  const start = Math.min(...attempts.map((a) => Date.parse(a.startedAt)));
  const end = Math.max(...attempts.map((a) => (a.finishedAt ? Date.parse(a.finishedAt) : now)));
  const span = Math.max(1, end - start);
  const axis = el(
    'div',
    { className: 'lane' },
    el('span'),
    el('span', { className: 'axis-labels' }, el('span', {}, time(start)), el('span', {}, running ? 'now' : time(end))),
    el('span'),
  );
  $('#timeline').replaceChildren(
    axis,
    ...attempts.map((a) => {
      const from = Date.parse(a.startedAt);
      const to = a.finishedAt ? Date.parse(a.finishedAt) : now;
      const state = a.outcome ?? 'running';
      const segment = el('span', { className: `segment ${state}`, title: `${state}, ${duration(to - from)}` });
      segment.style.left = `${((from - start) / span) * 100}%`;
      segment.style.width = `${Math.max(0.5, ((to - from) / span) * 100)}%`;
      return el(
        'div',
        { className: 'lane', 'data-attempt': a.attempt },
        el('span', { className: 'lane-label mono' }, `#${a.attempt} ${a.workerId}${a.speculative ? ' (backup)' : ''}`),
        el('span', { className: 'track' }, segment),
        el('span', { className: 'lane-state' }, `${state}${a.won ? ', won' : ''} · ${duration(to - from)}`),
      );
    }),
  );
}

async function refreshJob(id) {
  const job = await api(`jobs/${encodeURIComponent(id)}`);
  $('#job-title').replaceChildren(
    el('span', { className: 'mono' }, job.id),
    ' ',
    el('span', { className: `badge ${job.status}` }, job.status),
  );
  const actions = [];
  if (job.status === 'DEAD') {
    const requeue = (e) => act(e.currentTarget, 'requeue', `dlq/${job.id}/requeue`, nowStatus);
    actions.push(el('button', { type: 'button', 'data-requeue': job.id, onclick: requeue }, 'Requeue'));
  }
  if (!TERMINAL.has(job.status)) {
    const cancel = (e) => act(e.currentTarget, 'cancel', `jobs/${job.id}/cancel`, nowStatus);
    actions.push(el('button', { type: 'button', 'data-cancel': job.id, onclick: cancel }, 'Cancel'));
  }
  $('#job-actions').replaceChildren(...actions);
  const fields = [
    ['type', job.type],
    ['queue', queueOf(job)],
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['progress', job.progress === null ? null : bar(job.progress)],
    ['created', time(job.createdAt)],
    [
      'workflow',
      job.workflow && workflowLink(job.workflow.id, `${job.workflow.id.slice(0, 8)} step ${job.workflow.step}`),
    ],
    ['runs at', job.runAt && time(job.runAt)],
    ['started', job.startedAt && time(job.startedAt)],
    ['finished', job.finishedAt && time(job.finishedAt)],
    ['speculation', job.speculation ? 'allowed' : 'off'],
    ['error', job.error && `${job.error.name}: ${job.error.message}`],
    ['result', job.result === null ? null : el('pre', {}, JSON.stringify(job.result, null, 2))],
  ];
  fillTable(
    '#job-fields',
    fields.filter(([, value]) => value).map(([name, value]) => el('tr', {}, el('th', {}, name), el('td', {}, value))),
    '',
  );
  renderTimeline(job);
  fillTable(
    '#attempts',
    job.attemptHistory.map((a) =>
      el(
        'tr',
        {},
        el('td', { className: 'number' }, String(a.attempt)),
        el('td', { className: 'mono' }, a.workerId),
        el('td', {}, time(a.startedAt)),
        el('td', {}, time(a.finishedAt)),
        el('td', {}, el('span', { className: `badge ${a.outcome ?? 'running'}` }, a.outcome ?? 'running')),
        el('td', {}, [a.speculative && 'backup', a.won && 'won'].filter(Boolean).join(', ')),
        el('td', { className: 'error' }, a.error ?? ''),
      ),
    ),
    'no attempts yet',
  );
}

// ---- one workflow ------------------------------------------------------------------------------

/** Under a second in ms, under two minutes in seconds to a tenth, then as `duration`. */
const runTimeText = (ms) => (ms < 120_000 ? wait(ms) : duration(ms));

const isChild = (step) => step.spawnedBy !== null && !isJoin(step);
/** A step has a job once it left PENDING, unless it was skipped (a step cancelled before its start has none either). */
const hasJob = (step) => step.status !== 'PENDING' && step.status !== 'SKIPPED';
const headRow = (...names) =>
  el(
    'thead',
    {},
    el(
      'tr',
      {},
      names.map((name) => el('th', {}, name)),
    ),
  );

/** One step's row; a child's has no `dependsOn` cell. */
function stepRow(step, now, onPath, dependsOn) {
  return el(
    'tr',
    { 'data-step': step.name, className: onPath ? 'critical' : undefined },
    el('td', { className: 'mono' }, step.name),
    el('td', {}, step.type),
    el('td', {}, el('span', { className: `badge ${step.status}` }, step.status)),
    el('td', { className: 'number' }, String(step.attempts)),
    el('td', { className: 'number' }, step.startedAt ? runTimeText(runTime(step, now)) : '–'),
    dependsOn === undefined ? undefined : el('td', { className: 'mono' }, dependsOn),
    el('td', {}, hasJob(step) ? jobLink(step.jobId) : el('span', { className: 'muted' }, 'none yet')),
  );
}

/**
 * The workflow on the page (its latest answer), and for each spawning step the page and status
 * picked of its children: a pick redraws from the answer at hand, not re-reading up to 10,000 steps.
 */
let shownWorkflow = { view: undefined, picks: new Map() };

function pickChildren(parent, pick) {
  shownWorkflow.picks.set(parent, pick);
  renderWorkflow(shownWorkflow.view);
}

/** Buttons filtering a spawn's children by status, each with how many are in it. */
function statusFilters(parent, children, picked) {
  const counts = new Map();
  for (const child of children) counts.set(child.status, (counts.get(child.status) ?? 0) + 1);
  const filter = (status, ...label) =>
    el(
      'button',
      {
        type: 'button',
        'data-status': status ?? 'all',
        'aria-pressed': String(picked === status),
        onclick: () => pickChildren(parent, { status, page: 0 }),
      },
      ...label,
    );
  return el(
    'div',
    { className: 'buttons' },
    filter(null, `all ${children.length}`),
    [...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, count]) => filter(status, el('span', { className: `badge ${status}` }, status), ` ${count}`)),
  );
}

/**
 * A spawn's children summarised: counts per status (each a filter), the child on the critical
 * path, and one page of them: a 10,000-child spawn is never 10,000 rows.
 */
function spawnSection(parent, children, now, onPath) {
  const { status, page: asked } = shownWorkflow.picks.get(parent) ?? { status: null, page: 0 };
  const listed = status === null ? children : children.filter((child) => child.status === status);
  const page = Math.min(asked, Math.max(0, Math.ceil(listed.length / CHILDREN_PAGE) - 1));
  const first = page * CHILDREN_PAGE;
  const rows = listed.slice(first, first + CHILDREN_PAGE);
  const turn = (to, label) =>
    el(
      'button',
      {
        type: 'button',
        'data-page': label,
        disabled: to < 0 || to * CHILDREN_PAGE >= listed.length,
        onclick: () => pickChildren(parent, { status, page: to }),
      },
      label,
    );
  const onCriticalPath = children.find((child) => onPath.has(child.name));
  return el(
    'section',
    { 'data-spawn': parent },
    el('h3', {}, `Spawned by ${parent}`),
    statusFilters(parent, children, status),
    onCriticalPath &&
      el(
        'p',
        { className: 'muted' },
        `On the critical path: ${onCriticalPath.name} (${runTimeText(runTime(onCriticalPath, now))}).`,
      ),
    el(
      'table',
      {},
      headRow('child', 'type', 'status', 'attempts', 'run time', 'job'),
      el(
        'tbody',
        {},
        rows.map((child) => stepRow(child, now, onPath.has(child.name))),
      ),
    ),
    el(
      'div',
      { className: 'buttons pager' },
      turn(page - 1, '←'),
      el(
        'span',
        { className: 'muted' },
        rows.length === 0 ? 'none' : `${first + 1}–${first + rows.length} of ${listed.length}`,
      ),
      turn(page + 1, '→'),
    ),
  );
}

const workflowCancelled = (view) => (view.status === 'CANCELLED' ? 'cancelled' : 'stopping its running steps');

function renderWorkflow(workflow) {
  const now = Date.now();
  const cancelling = workflow.cancelRequested && workflow.status === 'RUNNING';
  $('#workflow-title').replaceChildren(
    el('span', { className: 'mono' }, workflow.id),
    ' ',
    el('span', { className: `badge ${workflow.status}` }, cancelling ? 'CANCELLING' : workflow.status),
  );
  const actions = [];
  if (workflow.status === 'RUNNING' && !workflow.cancelRequested) {
    const cancel = (e) => act(e.currentTarget, 'cancel', `workflows/${workflow.id}/cancel`, workflowCancelled);
    actions.push(el('button', { type: 'button', 'data-cancel': workflow.id, onclick: cancel }, 'Cancel'));
  }
  $('#workflow-actions').replaceChildren(...actions);
  const children = Map.groupBy(workflow.steps.filter(isChild), (child) => child.spawnedBy);
  const fields = [
    ['tenant', workflow.tenant],
    ['created', time(workflow.createdAt)],
    ['finished', workflow.finishedAt && time(workflow.finishedAt)],
  ];
  fillTable(
    '#workflow-fields',
    fields.filter(([, value]) => value).map(([name, value]) => el('tr', {}, el('th', {}, name), el('td', {}, value))),
    '',
  );
  const path = criticalPath(workflow.steps, now);
  const onPath = new Set(path.steps);
  $('#critical-path').replaceChildren(
    path.steps.length === 0
      ? el('span', { className: 'muted' }, 'Critical path: no step has run yet.')
      : el(
          'span',
          {},
          `Critical path, ${runTimeText(path.ms)}: `,
          el('span', { className: 'mono' }, path.steps.join(' → ')),
          el('span', { className: 'muted' }, ' — the longest chain of run times, each step after the one before it'),
        ),
  );
  fillTable(
    '#steps',
    workflow.steps
      .filter((step) => !isChild(step))
      .map((step) => {
        const spawned = children.get(step.name)?.length;
        const dependsOn = isJoin(step)
          ? `${children.get(step.spawnedBy)?.length ?? 0} children of ${step.spawnedBy}`
          : step.dependsOn.join(', ');
        const row = stepRow(step, now, onPath.has(step.name), dependsOn);
        if (spawned) row.firstChild.append(el('span', { className: 'muted' }, ` spawned ${spawned}`));
        return row;
      }),
    'no steps',
  );
  $('#spawns').replaceChildren(...[...children].map(([parent, spawned]) => spawnSection(parent, spawned, now, onPath)));
}

async function refreshWorkflow(id) {
  const workflow = await api(`workflows/${encodeURIComponent(id)}`);
  if (shownWorkflow.view?.id !== workflow.id) shownWorkflow = { view: workflow, picks: new Map() };
  shownWorkflow.view = workflow;
  renderWorkflow(workflow);
}

// ---- polling and routing -----------------------------------------------------------------------

/** The view the URL names: `{view: 'job' | 'workflow', id}`, or the overview. */
function route() {
  const [, view, id] = /^#\/(jobs|workflows)\/([\w-]+)$/.exec(location.hash) ?? [];
  return view === 'jobs' ? { view: 'job', id } : view === 'workflows' ? { view: 'workflow', id } : { view: 'overview' };
}

/** The last poll failed: its notice goes once a poll succeeds. */
let pollFailed = false;

async function refresh() {
  const { view, id } = route();
  for (const name of ['overview', 'job', 'workflow']) $(`#${name}`).hidden = name !== view;
  try {
    await (view === 'job' ? refreshJob(id) : view === 'workflow' ? refreshWorkflow(id) : refreshOverview());
    $('#updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    if (pollFailed) $('#notice').hidden = true;
    pollFailed = false;
  } catch (error) {
    notify(`could not read the API: ${error.message}`, 'error');
    pollFailed = true;
  }
}

async function poll() {
  await refresh();
  setTimeout(poll, POLL_MS);
}

window.addEventListener('hashchange', () => void refresh());
$('#dead-queue').append(
  ...CLASSES.flatMap((c) => PRIORITIES.map((p) => el('option', { value: `${c}-${p}` }, `${c}-${p}`))),
);
$('#dead-queue').addEventListener('change', () => void refresh());
$('#open-workflow').addEventListener('submit', (event) => {
  event.preventDefault();
  location.hash = `#/workflows/${event.currentTarget.elements.id.value.trim()}`;
});
fetch('/dashboard.json')
  .then((response) => response.json())
  .then(({ apiUrl }) => {
    $('#api').textContent = apiUrl;
  });
void poll();
