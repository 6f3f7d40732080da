// The SRE dashboard: a token from #token=... or the session, then a live stream of snapshots.
(function () {
  'use strict';
  const state = { snapshots: 0, last: null, charts: {} };
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

  function renderInstances(c) {
    const n = c.counts;
    pill('sum-instances', n.UP + ' up · ' + n.DEGRADED + ' degraded · ' + n.DOWN + ' down', n.DOWN ? 'bad' : n.DEGRADED ? 'warn' : '');
    $('instances-body').innerHTML = c.instances.map(i => '<tr data-instance="' + esc(i.id) + '">' +
      '<td>' + esc(i.id) + '</td><td>' + esc(i.service) + '</td>' +
      '<td class="status ' + i.status + '" title="' + esc(i.reasons.join(', ')) + '">' + i.status + '</td>' +
      '<td class="num">' + duration(i.uptimeS) + '</td><td class="num">' + i.heap.percent + ' %</td>' +
      '<td class="num">' + (i.cpu == null ? '' : i.cpu + ' %') + '</td><td class="num">' + i.connections + '</td>' +
      '<td>' + ago(i.lastHeartbeat) + '</td></tr>').join('') || '<tr><td colspan="8" class="empty">no heartbeat yet</td></tr>';
  }

  function renderAlerts(a) {
    const critical = a.active.filter(x => x.severity === 'critical').length;
    pill('sum-alerts', a.active.length + ' alert' + (a.active.length === 1 ? '' : 's'), critical ? 'bad' : a.active.length ? 'warn' : '');
    const active = a.active.map(x => '<tr><td class="' + x.severity + '">' + esc(x.kind) + '</td><td>' + esc(x.message) +
      '</td><td>' + ago(x.since) + '</td></tr>').join('');
    const recent = a.recent.slice(0, 5).map(x => '<tr><td>' + esc(x.kind) + '</td><td>' + esc(x.subject) +
      '</td><td>cleared ' + ago(x.clearedAt) + '</td></tr>').join('');
    $('alerts-body').innerHTML = '<table id="alerts-active">' + (active || '<tr><td class="empty">no active alert</td></tr>') + '</table>' +
      (recent ? '<h2 style="margin-top:10px">Recently cleared</h2><table id="alerts-recent">' + recent + '</table>' : '');
  }

  function renderCircuits(c) {
    pill('sum-circuits', c.open + ' open / ' + c.total + ' circuits', c.open ? 'warn' : '');
    $('circuits-body').innerHTML = c.items.map(x => '<tr data-circuit="' + esc(x.name) + '"><td>' + esc(x.name) + '</td><td>' +
      esc(x.instance) + '</td><td class="status ' + x.state + '">' + x.state + '</td><td class="num">' + x.failures + '</td><td>' +
      (x.state !== 'CLOSED' ? '<button class="reset" data-name="' + esc(x.name) + '">reset</button>' : '') + '</td></tr>').join('') ||
      '<tr><td colspan="5" class="empty">no circuit breaker in use</td></tr>';
  }

  function renderFleet(f) {
    $('agents-online').textContent = f.agents.online;
    $('agents-offline').textContent = f.agents.offline;
    $('printers-online').textContent = f.printers.online;
    $('printers-offline').textContent = f.printers.offline;
    pill('sum-agents', f.agents.online + ' agents online', f.agentsOfflineLong.length ? 'warn' : '');
    $('fleet-body').innerHTML = f.byBranch.map(b => '<tr><td>' + esc(b.company) + '</td><td>' + esc(b.branch) + '</td><td class="num">' +
      b.agents.online + ' / ' + b.agents.offline + '</td><td class="num">' + b.printers.online + ' / ' + b.printers.offline + '</td></tr>').join('') ||
      '<tr><td colspan="4" class="empty">no agent seen yet</td></tr>';
    $('fleet-offline').innerHTML = f.agentsOfflineLong.length ? '<h2 style="margin-top:10px">Offline longer than ' + duration(f.offlineLimitS) + '</h2>' +
      f.agentsOfflineLong.slice(0, 10).map(a => '<div class="offline">' + esc(a.agentId) + ' (' + esc(a.company) + '/' + esc(a.branch) + ') for ' + duration(a.offlineS) + '</div>').join('') : '';
    $('fleet-reconnects').innerHTML = f.reconnects.length ? '<h2 style="margin-top:10px">Reconnects per minute</h2>' +
      f.reconnects.slice(0, 5).map(r => '<div>' + esc(r.agentId) + ': ' + r.perMinute + '</div>').join('') : '';
  }

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
      headers: { Authorization: 'Bearer ' + sessionStorage.getItem('printfleet.sre.token') } });
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
