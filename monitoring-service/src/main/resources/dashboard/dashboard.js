// The SRE dashboard: a token from #token=... or the session, then a live stream of snapshots.
(function () {
  'use strict';
  const PAGE = 25;
  const state = { snapshots: 0, fleetEvents: 0, fleetReloads: 0, rowsPatched: 0, last: null, charts: {},
    printers: { query: { state: '', q: '', company: '', branch: '', offset: 0 }, page: null, timer: null, loading: false, again: false } };
  window.printfleetDashboard = state;

  function $(id) { return document.getElementById(id); }
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c])); }
  function duration(s) {
    if (s == null) return '';
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    return Math.round(s / 3600) + ' h';
  }
  function ago(iso) { return duration(Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))) + ' ago'; }

  function tokenFromHash() {
    const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem('printfleet.sre.token', decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem('printfleet.sre.token');
  }

  function showLogin(message) {
    $('app').classList.add('hidden');
    $('login').classList.remove('hidden');
    $('login-error').textContent = message || '';
  }

  async function open(token) {
    const res = await fetch('/monitoring/cluster', { headers: { Authorization: 'Bearer ' + token } });
    if (res.status === 401 || res.status === 403) {
      const body = await res.json().catch(() => ({}));
      sessionStorage.removeItem('printfleet.sre.token');
      showLogin((body.error && body.error.message) || 'token refused');
      return;
    }
    $('login').classList.add('hidden');
    $('app').classList.remove('hidden');
    makeCharts();
    if (state.source) state.source.close();
    const source = new EventSource('/monitoring/stream?access_token=' + encodeURIComponent(token));
    state.source = source;
    source.addEventListener('snapshot', e => render(JSON.parse(e.data)));
    source.addEventListener('fleet', e => onFleetChanges(JSON.parse(e.data)));
    loadPrinters();
    source.onerror = () => {
      $('updated').textContent = 'reconnecting…';
      // The stream ends when the token expires and the reconnect is refused 401, which closes
      // the EventSource for good: ask the API why, so an expired token brings the login back.
      if (source.readyState === EventSource.CLOSED && state.source === source) {
        setTimeout(() => open(token).catch(() => {}), 2000);
      }
    };
  }

  function makeCharts() {
    if (state.charts.jobs || typeof Chart === 'undefined') return;
    const common = {
      animation: false, responsive: true, maintainAspectRatio: false, spanGaps: true,
      scales: { x: { ticks: { maxTicksLimit: 6 } }, y: { beginAtZero: true } },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } }
    };
    state.charts.jobs = new Chart($('chart-jobs'), { type: 'line', options: common, data: { labels: [], datasets: [
      { label: 'printed/s', data: [], borderColor: '#1a7f37', backgroundColor: '#1a7f3733', fill: true, pointRadius: 0 },
      { label: 'dispatched/s', data: [], borderColor: '#1f5fbf', pointRadius: 0 },
      { label: 'failed/s', data: [], borderColor: '#c62828', pointRadius: 0 } ] } });
    state.charts.latency = new Chart($('chart-latency'), { type: 'line', options: common, data: { labels: [], datasets: [
      { label: 'p50', data: [], borderColor: '#1f5fbf', pointRadius: 2 },
      { label: 'p95', data: [], borderColor: '#b35900', pointRadius: 2 } ] } });
  }

  function render(s) {
    state.last = s;
    state.snapshots++;
    $('updated').textContent = 'updated ' + new Date(s.at).toLocaleTimeString();
    renderInstances(s.cluster);
    renderAlerts(s.alerts);
    renderCircuits(s.circuits);
    renderFleet(s.fleet);
    renderJobs(s.jobs);
  }

  function pill(id, text, cls) { const el = $(id); el.textContent = text; el.className = 'pill ' + (cls || ''); }

  const STATUS_ORDER = { DOWN: 0, DEGRADED: 1, UP: 2 };
  function renderInstances(c) {
    const n = c.counts;
    pill('sum-instances', n.UP + ' up · ' + n.DEGRADED + ' degraded · ' + n.DOWN + ' down', n.DOWN ? 'bad' : n.DEGRADED ? 'warn' : '');
    const worstFirst = c.instances.slice().sort((a, b) => (STATUS_ORDER[a.status] - STATUS_ORDER[b.status]) || a.id.localeCompare(b.id));
    $('instances-body').innerHTML = worstFirst.map(i => '<tr data-instance="' + esc(i.id) + '">' +
      '<td>' + esc(i.id) + '</td><td>' + esc(i.service) + '</td>' +
      '<td class="status ' + i.status + '" title="' + esc(i.reasons.join(', ')) + '">' + i.status + '</td>' +
      '<td class="num">' + duration(i.uptimeS) + '</td><td class="num">' + i.heap.percent + ' %</td>' +
      '<td class="num">' + (i.cpu == null ? '' : i.cpu + ' %') + '</td><td class="num">' + i.connections + '</td>' +
      '<td>' + ago(i.lastHeartbeat) + '</td></tr>').join('') || '<tr><td colspan="8" class="empty">no heartbeat yet</td></tr>';
  }

  function renderAlerts(a) {
    const critical = a.active.filter(x => x.severity === 'critical').length;
    pill('sum-alerts', a.activeCount + ' alert' + (a.activeCount === 1 ? '' : 's'), critical ? 'bad' : a.activeCount ? 'warn' : '');
    const active = a.active.map(x => '<tr><td class="' + x.severity + '">' + esc(x.kind) + '</td><td>' + esc(x.message) +
      '</td><td>' + ago(x.since) + '</td></tr>').join('');
    const more = a.activeCount > a.active.length ? '<tr><td colspan="3" class="empty">and ' + (a.activeCount - a.active.length) + ' more (GET /monitoring/alerts)</td></tr>' : '';
    const recent = a.recent.map(x => '<tr><td>' + esc(x.kind) + '</td><td>' + esc(x.subject) +
      '</td><td>cleared ' + ago(x.clearedAt) + '</td></tr>').join('');
    $('alerts-body').innerHTML = '<div class="scroll"><table id="alerts-active">' + (active ? active + more : '<tr><td class="empty">no active alert</td></tr>') + '</table></div>' +
      (recent ? '<h2 style="margin-top:10px">Recently cleared</h2><table id="alerts-recent">' + recent + '</table>' : '');
  }

  function renderCircuits(c) {
    pill('sum-circuits', c.open + ' open / ' + c.total + ' circuits', c.open ? 'warn' : '');
    $('circuits-body').innerHTML = c.items.map(x => '<tr data-circuit="' + esc(x.name) + '"><td>' + esc(x.name) + '</td><td>' +
      esc(x.instance) + '</td><td class="status ' + x.state + '">' + x.state + '</td><td class="num">' + x.failures + '</td><td>' +
      '<button class="reset" data-name="' + esc(x.name) + '">reset</button></td></tr>').join('') ||
      '<tr><td colspan="5" class="empty">no open circuit (' + c.total + ' closed)</td></tr>';
  }

  function renderFleet(f) {
    $('agents-online').textContent = f.agents.online;
    $('agents-offline').textContent = f.agents.offline;
    $('printers-online').textContent = f.printers.online;
    $('printers-offline').textContent = f.printers.offline;
    pill('sum-agents', f.agents.online + ' agents online', f.agentsOfflineLongCount ? 'warn' : '');
    const counts = f.printerStates;
    ['total', 'failing', 'offline', 'busy', 'online'].forEach(k => { $('count-' + k).textContent = counts[k]; });
    $('fleet-offline').innerHTML = f.agentsOfflineLongCount ? '<h2 style="margin-top:10px">' + f.agentsOfflineLongCount + ' offline longer than ' + duration(f.offlineLimitS) + '</h2>' +
      f.agentsOfflineLong.map(a => '<div class="offline">' + esc(a.agentId) + ' (' + esc(a.company) + '/' + esc(a.branch) + ') for ' + duration(a.offlineS) + '</div>').join('') : '';
    $('fleet-reconnects').innerHTML = f.reconnects.length ? '<h2 style="margin-top:10px">Reconnects per minute</h2>' +
      f.reconnects.map(r => '<div>' + esc(r.agentId) + ': ' + r.perMinute + '</div>').join('') : '';
    // Printers became failing or offline (a circuit opened, say, which sends no fleet event):
    // the top of the table may have changed.
    const shown = state.printers.page;
    if (shown && (shown.counts.failing !== counts.failing || shown.counts.offline !== counts.offline)) schedulePrinters();
  }

  // --- the printers table: a page read from /monitoring/fleet, followed by the stream's changes ---

  function savedToken() { return sessionStorage.getItem('printfleet.sre.token'); }

  function printerKey(r) { return r.company + '/' + r.agentId + '/' + r.printerId; }

  // The server's order (PrinterList): state, then company, branch, agent, printer.
  const STATE_ORDER = { failing: 0, offline: 1, busy: 2, online: 3 };
  function compareRows(a, b) {
    return (STATE_ORDER[a.state] - STATE_ORDER[b.state]) ||
      ['company', 'branch', 'agentId', 'printerId'].reduce((c, k) => c || (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0), 0);
  }

  function printerRow(r) {
    return '<tr class="row-' + r.state + '" data-printer="' + esc(printerKey(r)) + '"><td class="state">' + r.state + '</td><td>' + esc(r.printerId) +
      '</td><td>' + esc(r.agentId) + '</td><td>' + esc(r.company) + '</td><td>' + esc(r.branch) + '</td><td>' + esc(r.status) +
      '</td><td class="status ' + esc(r.circuit || '') + '">' + esc(r.circuit || '') + '</td><td>' + ago(new Date(r.since).toISOString()) + '</td></tr>';
  }

  function matches(r, q) {
    if (q.state && r.state !== q.state) return false;
    if (q.company && r.company !== q.company) return false;
    if (q.branch && r.branch !== q.branch) return false;
    if (q.q) {
      const n = q.q.toLowerCase();
      return [r.printerId, r.agentId, r.branch, r.company].some(v => String(v).toLowerCase().includes(n));
    }
    return true;
  }

  async function loadPrinters() {
    const p = state.printers;
    if (p.loading) { p.again = true; return; }
    p.loading = true;
    try {
      const q = p.query;
      const params = new URLSearchParams({ offset: q.offset, limit: PAGE });
      ['state', 'q', 'company', 'branch'].forEach(k => { if (q[k]) params.set(k, q[k]); });
      const res = await fetch('/monitoring/fleet?' + params, { headers: { Authorization: 'Bearer ' + savedToken() } });
      if (res.ok) renderPrinters(await res.json());
    } finally {
      p.loading = false;
      if (p.again) { p.again = false; schedulePrinters(); }
    }
  }

  function schedulePrinters() {
    const p = state.printers;
    if (p.timer) return;
    p.timer = setTimeout(() => { p.timer = null; loadPrinters(); }, 500);
  }

  function renderPrinters(page) {
    // Filters narrowed the list under the page shown: go back to its last page.
    if (!page.items.length && page.offset > 0 && page.matching > 0) {
      setQuery({ offset: Math.floor((page.matching - 1) / PAGE) * PAGE });
      return;
    }
    state.printers.page = page;
    const q = state.printers.query;
    document.querySelectorAll('button.state-filter').forEach(b => b.classList.toggle('active', b.dataset.state === q.state));
    $('printers-body').innerHTML = page.items.map(printerRow).join('') ||
      '<tr><td colspan="8" class="empty">' + (page.counts.total ? 'no printer matches' : 'no printer seen yet') + '</td></tr>';
    const from = page.matching ? page.offset + 1 : 0;
    $('page-info').textContent = from + '–' + (page.offset + page.items.length) + ' of ' + page.matching;
    $('page-prev').disabled = page.offset === 0;
    $('page-next').disabled = page.offset + page.items.length >= page.matching;
  }

  function onFleetChanges(changes) {
    state.fleetEvents++;
    const page = state.printers.page;
    // A page being read now was computed before these changes: read it again after.
    if (state.printers.loading) state.printers.again = true;
    if (changes.reload) state.fleetReloads++;
    if (!page || changes.reload) { schedulePrinters(); return; }
    const last = page.items[page.items.length - 1];
    const full = page.items.length === PAGE;
    const shown = new Map(page.items.map((r, i) => [printerKey(r), i]));
    for (const r of changes.rows) {
      const i = shown.get(printerKey(r));
      if (i !== undefined) {
        const old = page.items[i];
        page.items[i] = r;
        const tr = document.querySelector('#printers-body tr[data-printer="' + CSS.escape(printerKey(r)) + '"]');
        if (tr) { tr.outerHTML = printerRow(r); state.rowsPatched++; }
        // Its place in the order may have changed.
        if (old.state !== r.state || !matches(r, state.printers.query)) schedulePrinters();
      } else if (matches(r, state.printers.query) && (!full || page.offset > 0 || compareRows(r, last) < 0)) {
        // It belongs on this page (or, past the first page, may shift it): read it again.
        schedulePrinters();
      }
    }
  }

  function setQuery(change) {
    Object.assign(state.printers.query, change);
    loadPrinters();
  }

  document.querySelectorAll('button.state-filter').forEach(b =>
    b.addEventListener('click', () => setQuery({ state: b.dataset.state, offset: 0 })));
  ['q', 'company', 'branch'].forEach(k => {
    let typing = null;
    $('filter-' + k).addEventListener('input', e => {
      clearTimeout(typing);
      typing = setTimeout(() => setQuery({ [k]: e.target.value.trim(), offset: 0 }), 250);
    });
  });
  $('page-prev').addEventListener('click', () => setQuery({ offset: Math.max(0, state.printers.query.offset - PAGE) }));
  $('page-next').addEventListener('click', () => setQuery({ offset: state.printers.query.offset + PAGE }));
  // A safety net for a change the stream could not deliver (a push skipped for a slow browser).
  setInterval(() => { if (state.printers.page) schedulePrinters(); }, 30000);

  function renderJobs(j) {
    const s = j.series;
    const labels = s.at.map(t => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }));
    if (state.charts.jobs) {
      state.charts.jobs.data.labels = labels;
      state.charts.jobs.data.datasets[0].data = s.printedPerSecond;
      state.charts.jobs.data.datasets[1].data = s.dispatchedPerSecond;
      state.charts.jobs.data.datasets[2].data = s.failedPerSecond;
      state.charts.jobs.update('none');
      state.charts.latency.data.labels = labels;
      state.charts.latency.data.datasets[0].data = s.dispatchLatencyP50Ms;
      state.charts.latency.data.datasets[1].data = s.dispatchLatencyP95Ms;
      state.charts.latency.update('none');
    }
    const db = j.database;
    const live = j.live;
    $('jobs-figures').innerHTML = '<div class="big">' +
      '<div>queue depth<b id="jobs-queue">' + (db.available ? db.queueDepth : '–') + '</b></div>' +
      '<div>failure rate (15 min)<b>' + (db.available ? (db.failureRate * 100).toFixed(1) + ' %' : '–') + '</b></div>' +
      '<div>dispatch p50 / p99<b>' + (live.dispatchLatencyMs.p50 == null ? '–' : live.dispatchLatencyMs.p50 + ' / ' + live.dispatchLatencyMs.p99 + ' ms') + '</b></div>' +
      '<div>printed (5 min)<b id="jobs-printed">' + live.printed + '</b></div></div>' +
      (db.available ? '' : '<div class="empty">database figures unavailable</div>');
  }

  document.addEventListener('click', async e => {
    const name = e.target && e.target.dataset && e.target.dataset.name;
    if (!name || !e.target.classList.contains('reset')) return;
    e.target.disabled = true;
    await fetch('/monitoring/circuits/' + encodeURIComponent(name) + '/reset', { method: 'POST',
      headers: { Authorization: 'Bearer ' + savedToken() } });
  });

  $('token-save').addEventListener('click', () => {
    const token = $('token-input').value.trim();
    if (!token) return;
    sessionStorage.setItem('printfleet.sre.token', token);
    open(token);
  });

  // A link with #token=... opened on an already open page changes only the hash.
  window.addEventListener('hashchange', () => { const t = tokenFromHash(); if (t) open(t); });

  const token = tokenFromHash();
  if (token) { open(token); } else { showLogin(); }
})();
