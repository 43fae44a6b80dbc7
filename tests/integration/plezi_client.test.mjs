// A PleziClient-compatible client works unchanged against a Plezi endpoint: auto-dispatch,
// _EID_ acks that clear the emit timeout (and run the emit callback), err events, and
// autoreconnect after the server closes. The client below speaks exactly as PleziClient
// does; it follows boazsegev/plezi resources/client.js (0.14), line for line in behaviour:
// - emit(event, callback, timeout_callback, timeout): `if (!timeout && callback &&
//   !this.emit_timeout) timeout = 10;` then ___set_failed_timeout sets
//   `event._EID_ = setTimeout(___perform_timeout_callback, timeout, event, this, callback)`,
//   stores `this[event._EID_] = {callback, event}` and sends JSON.stringify(event);
// - ___dispatch: on `_ack_`, `clearTimeout(msg._EID_)`, runs the stored callback and deletes
//   it; then `this[msg.event](msg)` when defined, else `this.unknown(msg)` (not for _ack_);
// - ___on_close: with `autoreconnect`, `setTimeout(reconnect, reconnect_interval)` (200 ms);
//   close() turns autoreconnect off first.
// (0.12's resources/plezi_client.js differs only in dispatching to `on<event>` and having no
// ack callback; its `_EID_` is the same timer id.) Node's setTimeout returns an object, so the
// numeric id a browser would put in _EID_ is taken from it, as a browser's number.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startHerald, within, eventually } from '../lib/herald.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';

let backend;
let node;
const timers = new Map(); // numeric id → Node timer, so clearTimeout(number) works as a browser's

before(async () => {
  backend = await startHttpBackend((r) => {
    if (r.kind !== 'event') return {};
    if (r.event === 'chat') return { payload: { event: 'chat', message: r.message.data } };
    if (r.event === 'kick') return { commands: [{ command: 'disconnect', code: 4000, reason: 'bye' }] };
    return { allow: false };
  });
  node = await startHerald({
    config: `[backend]\nurl = "${backend.url}"\n[[endpoints]]\npath = "/chat"\ndialect = "plezi"\nauto_dispatch = true\n`,
  });
});
after(async () => {
  assert.equal((await node.stop()).code, 0);
  await backend.stop();
});

function browserSetTimeout(f, ms, ...args) {
  const timer = setTimeout(f, ms, ...args);
  const id = timer[Symbol.toPrimitive]();
  timers.set(id, timer);
  return id;
}
function browserClearTimeout(id) {
  clearTimeout(timers.get(id));
  timers.delete(id);
}

// PleziClient, as resources/client.js behaves (see the file's comment).
class PleziClient {
  constructor(url, autoreconnect) {
    this.url = url;
    this.autoreconnect = !!autoreconnect;
    this.reconnect_interval = 200;
    this.emit_timeout = false;
    this.reconnect();
  }
  reconnect() {
    this.connected = NaN;
    this.ws = new WebSocket(this.url);
    this.ws.onopen = (e) => { this.connected = true; if (this.onopen) this.onopen(e); };
    this.ws.onclose = (e) => {
      this.connected = false;
      if (this.onclose) this.onclose(e);
      if (this.autoreconnect) browserSetTimeout(() => this.reconnect(), this.reconnect_interval);
    };
    this.ws.onmessage = (e) => this.___dispatch(JSON.parse(e.data));
  }
  ___dispatch(msg) {
    if (msg.event === '_ack_') {
      browserClearTimeout(msg._EID_);
      if (this[msg._EID_] && this[msg._EID_].callback) this[msg._EID_].callback(this[msg._EID_].event, this);
      delete this[msg._EID_];
    }
    if (msg.event && this[msg.event]) this[msg.event](msg);
    else if (this.unknown && msg.event !== '_ack_') this.unknown(msg);
  }
  ___set_failed_timeout(event, callback, timeout) {
    if (event._EID_) return event;
    if (!timeout) timeout = this.emit_timeout;
    if (!callback) callback = (ev) => this.ontimeout(ev);
    if (!timeout) return event;
    event._EID_ = browserSetTimeout((ev, client, cb) => { delete client[ev._EID_]; cb(ev, client); }, timeout, event, this, callback);
    return event;
  }
  emit(event, callback, timeout_callback, timeout) {
    if (!timeout && callback && !this.emit_timeout) timeout = 10;
    this.___set_failed_timeout(event, timeout_callback, timeout);
    if (callback) this[event._EID_] = { callback, event };
    return this.sendraw(JSON.stringify(event));
  }
  sendraw(data) {
    if (this.ws.readyState !== 1) return false;
    this.ws.send(data);
    return true;
  }
  ontimeout(event) { this.timedOut = event; }
  close() { this.autoreconnect = false; this.ws.close(); }
}

const once = (client, name) => new Promise((resolve) => { client[name] = (msg) => { delete client[name]; resolve(msg); }; });

test('an emit is acked within its timeout, its callback runs, and the answer reaches client.chat', async () => {
  const client = new PleziClient(node.wsUrl('/chat'));
  await within(5000, once(client, 'onopen'), 'open');
  const acked = new Promise((resolve) => {
    client.emit({ event: 'chat', data: 'hi' }, (event) => resolve(event), () => assert.fail('timed out'), 2000);
  });
  const answer = once(client, 'chat');
  const event = await within(5000, acked, 'the ack callback');
  assert.equal(event.data, 'hi');
  assert.equal(typeof event._EID_, 'number');
  assert.deepEqual(await within(5000, answer, 'client.chat'), { event: 'chat', message: 'hi' });
  assert.equal(timers.has(event._EID_), false, 'the timeout was cleared');
  assert.equal(client.timedOut, undefined);
  client.close();
});

test('an event the back end does not know reaches client.err with status 404', async () => {
  const client = new PleziClient(node.wsUrl('/chat'));
  await within(5000, once(client, 'onopen'), 'open');
  const err = once(client, 'err');
  client.emit({ event: 'nope', data: 1 });
  assert.deepEqual(await within(5000, err, 'client.err'), { event: 'err', status: 404, result: 'not found', request: { event: 'nope', data: 1 } });
  client.close();
});

test('with autoreconnect, a client the server closed connects again by itself', async () => {
  const client = new PleziClient(node.wsUrl('/chat'), true);
  await within(5000, once(client, 'onopen'), 'open');
  const opens = backend.requests.filter((r) => r.kind === 'on_open').length;
  const closed = once(client, 'onclose');
  const reopened = closed.then(() => once(client, 'onopen'));
  client.emit({ event: 'kick' });
  assert.equal((await within(5000, closed, 'the close')).code, 4000);
  await within(5000, reopened, 'the reconnection');
  await eventually(() => backend.requests.filter((r) => r.kind === 'on_open').length > opens, 'on_open of the new session');
  // And it speaks as before.
  const answer = once(client, 'chat');
  client.emit({ event: 'chat', data: 'again' });
  assert.deepEqual(await within(5000, answer, 'client.chat'), { event: 'chat', message: 'again' });
  client.close();
});
