// One Socket.IO client for SocketIoNodeClientTest: the official socket.io-client, as the agents
// and dashboards of the system printfleet replaces use it. Prints one JSON line per thing that
// happens; stops by itself after --seconds, when stdin closes, or on SIGTERM.
//
//   node client.js agent     <url> <token> <transports> <printerId> [statuses]
//   node client.js dashboard <url> <token> <transports> <room>
//   node client.js channels  <url> <token> <transports> <orders room> <availability room>
//
// <url> ends with the namespace (http://127.0.0.1:8080/printing-ws), but for channels: the
// server's (http://127.0.0.1:8080), whose /orders and /availability namespaces share one
// connection (the client's own multiplexing), each subscribed to its room; <transports> is
// "websocket", "polling" or "polling,websocket". An agent given [statuses] emits printerStatus
// events with an ack from the moment it connects, one every 20 ms, until five went out on the
// WebSocket after an upgrade (at most [statuses] in all), and says how many were answered. Such an
// agent on "polling,websocket" starts its upgrade only once its first status went out on polling:
// left to itself, the client may finish the upgrade before the CONNECT is answered, and then no
// status would cross it.
'use strict';
const { io, Manager } = require('socket.io-client');

const [mode, url, token, transports, target, statuses] = process.argv.slice(2);
if (!['agent', 'dashboard', 'channels'].includes(mode) || !url || !token || !transports || !target) {
  console.error('usage: node client.js agent|dashboard|channels <url> <token> <transports> <printerId|room> [...]');
  process.exit(2);
}
const say = (event, fields) => console.log(JSON.stringify({ event, ...fields }));
const stop = (code) => { (channels || [socket]).forEach((s) => s.close()); process.exit(code); };

const channels = mode !== 'channels' ? null : (() => {
  const manager = new Manager(url, { transports: transports.split(','), reconnection: false, timeout: 10000 });
  return [['/orders', target], ['/availability', statuses]].map(([ns, room]) => {
    const s = manager.socket(ns, { auth: { token } });
    s.on('connect', () => {
      say('connected', { ns, sid: manager.engine.id });
      s.emit('subscribe', { rooms: [room] }, (answer) => say('subscribed', { ns, answer }));
    });
    s.on('connect_error', (e) => say('connect_error', { ns, message: e.message, data: e.data }));
    s.onAny((name, ...args) => say('channelEvent', { ns, name, args }));
    return s;
  });
})();
const deferUpgrade = mode === 'agent' && statuses && transports === 'polling,websocket';
const socket = channels ? channels[0] : io(url, {
  transports: transports.split(','),
  upgrade: !deferUpgrade,
  auth: { token },
  reconnection: false,
  forceNew: true,
  timeout: 10000,
});
if (!channels) socket.on('connect', () => {
  say('connected', { transport: socket.io.engine.transport.name });
  if (mode === 'agent') {
    socket.emit('printersSync', { printers: [{ id: target, name: 'Kitchen', status: 'online' }] },
      (answer) => say('synced', { answer }));
    if (statuses) emitStatuses(Number(statuses));
  } else {
    socket.emit('subscribe', { rooms: [target] }, (answer) => say('subscribed', { answer }));
  }
});
// The transport the connection opened on (the upgrade may be done before the CONNECT is answered).
if (!channels) socket.io.on('open', () => {
  say('opened', { transport: socket.io.engine.transport.name });
  socket.io.engine.on('upgrade', (t) => say('upgraded', { transport: t.name }));
});
function emitStatuses(max) {
  // One every 20 ms from the connect until five have gone out after the upgrade (at most max).
  const sentOn = {}, errors = [];
  let sent = 0, answered = 0, afterUpgrade = 0, done = false;
  const finish = () => { if (done && answered === sent) say('statuses', { sent, answered, errors, sentOn }); };
  const next = () => {
    const transport = socket.io.engine.transport.name;
    sentOn[transport] = (sentOn[transport] || 0) + 1;
    if (transport === 'websocket') afterUpgrade += 1;
    socket.emit('printerStatus', { printerId: target, status: sent % 2 ? 'busy' : 'online' }, (answer) => {
      answered += 1;
      if (answer && answer.error) errors.push(answer.error);
      finish();
    });
    sent += 1;
    // engine.io-client 6.6 (pinned in package-lock.json) has no public way to start an upgrade later.
    if (deferUpgrade && sent === 1) socket.io.engine._probe('websocket');
    if (sent < max && afterUpgrade < 5) setTimeout(next, 20);
    else { done = true; finish(); }
  };
  next();
}
if (!channels) socket.on('connect_error', (e) => { say('connect_error', { message: e.message, data: e.data }); stop(0); });
socket.on('disconnect', (reason) => say('disconnected', { reason }));
socket.on('printJob', (job, ack) => {
  say('job', { job: { jobId: job.jobId, printerId: job.printerId, content: job.content } });
  ack({ accepted: true });
  socket.emit('printJobResult', { jobId: job.jobId, outcome: 'printed' });
});
socket.on('printerStatusUpdate', (updates) => say('printerStatusUpdate', { updates }));
socket.on('jobUpdate', (update) => say('jobUpdate', { update }));

const seconds = Number(process.env.CLIENT_SECONDS || 60);
setTimeout(() => { say('timeout', {}); stop(1); }, seconds * 1000);
process.stdin.on('end', () => stop(0));
process.stdin.resume();
process.on('SIGTERM', () => stop(0));
