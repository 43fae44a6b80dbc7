// The end of `make bench` (scripts/bench): gathers the measurements the script passes in the
// environment (each one herald-bench --json object), writes bench/results/latest.json (or
// RESULTS) and prints the tables. The broker part is there only when the script ran it
// (BENCH_BROKERS not 0), the MonoRail part likewise (BENCH_MONORAIL not 0); with
// BENCH_MONORAIL=only the MonoRail part is all there is.
import { writeFileSync } from 'node:fs';
import { monorailResults, printMonorail } from './report_monorail.mjs';

const env = process.env;
const read = (name) => JSON.parse(env[name]);
const ratio = (a, b) => Number((a / b).toFixed(2));

const onlyMonorail = !env.FLAT_HERALD;
const flat = onlyMonorail ? null : { herald: read('FLAT_HERALD'), ws_peer: read('FLAT_WS') };
const fixed = onlyMonorail ? null : { herald: read('RATE_HERALD'), ws_peer: read('RATE_WS') };
const result = onlyMonorail ? {} : {
  flat_out: { ...flat, ratio_deliveries: ratio(flat.herald.deliveries_per_s, flat.ws_peer.deliveries_per_s) },
  fixed_rate: fixed,
  peer: env.WS_VERSION,
  sockjs: read('SOCKJS'), // bench/sockjs_bench.mjs --json
};
if (env.MONORAIL_ROUND_TRIPS) result.monorail = monorailResults(read, ratio);

if (env.INGEST_HERALD_AMQP) {
  const ingest = {};
  const fanOut = { memory_deliveries_per_s: flat.herald.deliveries_per_s };
  const latency = {};
  for (const bus of ['amqp', 'redis']) {
    const herald = read(`INGEST_HERALD_${bus.toUpperCase()}`);
    const bare = read(`INGEST_BARE_${bus.toUpperCase()}`);
    ingest[bus] = { herald, bare, ratio: ratio(herald.deliveries_per_s, bare.deliveries_per_s) };
    const fan = read(`FANOUT_${bus.toUpperCase()}`);
    fanOut[bus] = { herald: fan, ratio: ratio(fan.deliveries_per_s, flat.herald.deliveries_per_s) };
  }
  for (const bus of ['memory', 'amqp', 'redis']) {
    latency[bus] = read(`LATENCY_${bus.toUpperCase()}`);
  }
  const added = {};
  for (const bus of ['amqp', 'redis']) {
    added[bus] = {
      p50: latency[bus].latency_us.p50 - latency.memory.latency_us.p50,
      p99: latency[bus].latency_us.p99 - latency.memory.latency_us.p99,
    };
  }
  result.brokers = {
    ingest,
    fan_out: fanOut,
    latency: { ...latency, added_us: added },
    rabbitmq: env.RABBITMQ_VERSION,
    redis: env.REDIS_VERSION,
  };
  // Each: bench/actions_bench.mjs --json, with its own added_http and added_amqp.
  result.actions = { one_client: read('ACTIONS_ONE'), many_clients: read('ACTIONS_MANY') };
  result.addressing = read('ADDRESSING'); // bench/addressing_bench.mjs --json
}
result.command = env.COMMAND;
result.machine = env.MACHINE;
result.date = new Date().toISOString();
const resultsFile = env.RESULTS ?? 'bench/results/latest.json';
writeFileSync(resultsFile, JSON.stringify(result, null, 2) + '\n');

// ---- The tables
const number = (n) => (n === null || n === undefined ? '-' : n.toLocaleString('en'));
const table = (title, columns, runs, rows) => {
  console.log(`\n${title}`);
  console.log(''.padEnd(20) + columns.map((c) => c.padStart(13)).join(''));
  for (const [name, value] of rows) {
    console.log(name.padEnd(20) + runs.map((r) => String(value(r)).padStart(13)).join(''));
  }
};
const common = [
  ['deliveries/s', (r) => number(r.deliveries_per_s)],
  ['events/s', (r) => number(r.events_per_s)],
  ['latency p50 µs', (r) => number(r.latency_us.p50)],
  ['latency p99 µs', (r) => number(r.latency_us.p99)],
  ['latency p99.9 µs', (r) => number(r.latency_us.p99_9)],
];
const errors = ['errors', (r) => r.errors + (r.bus_queue_dropped ? ` (${r.bus_queue_dropped} dropped)` : '')];
const cores = (part) => (r) => (r.cpu_cores[part] === null ? '-' : r.cpu_cores[part].toFixed(2));
const cpu = [
  ['server cores', cores('server')],
  ['broker cores', cores('broker')],
  ['load gen. cores', cores('load_generator')],
  ['others cores', cores('others')],
];

console.log(`\n${result.command}\n${result.machine}${onlyMonorail ? '' : `; peer: ${result.peer}`}`);
if (!onlyMonorail) {
  table('Memory bus: flat out and fixed rate', ['herald', 'ws peer', 'herald', 'ws peer'],
    [flat.herald, flat.ws_peer, fixed.herald, fixed.ws_peer], [
      ...common,
      ['connections/s', (r) => number(r.connections_per_s)],
      ['RSS B/idle conn', (r) => number(r.rss_bytes_per_idle_connection)],
      ['others cores', cores('others')],
      errors,
    ]);
  console.log(`Flat out, Herald delivers ${result.flat_out.ratio_deliveries}x the ws peer.`);
}

const b = result.brokers;
if (b) {
  const i = b.ingest;
  table(`Ingest: ${i.amqp.herald.topics} topics x 1 subscriber, flat out (window ${i.amqp.herald.window})`,
    ['herald amqp', 'bare amqp', 'herald redis', 'bare redis'],
    [i.amqp.herald, i.amqp.bare, i.redis.herald, i.redis.bare], [...common, ...cpu, errors]);
  console.log('(server: Herald, or the bare consumer\'s thread, on the same core.)');
  console.log(`Herald takes ${i.amqp.ratio}x what the bare consumer takes from RabbitMQ, ` +
    `${i.redis.ratio}x from Redis (target 0.9x).`);
  const f = b.fan_out;
  table(`Fan-out: ${flat.herald.connections} subscribers of one topic, flat out (window ${flat.herald.window})`,
    ['memory', 'amqp', 'redis'], [flat.herald, f.amqp.herald, f.redis.herald], [...common, ...cpu, errors]);
  console.log(`From RabbitMQ ${f.amqp.ratio}x the memory bus's deliveries/s, from Redis ` +
    `${f.redis.ratio}x (target 0.9x).`);
  const l = b.latency;
  table(`Latency: ${l.memory.topics} topics x 1 subscriber, ${l.memory.rate} events/s, published by HTTP`,
    ['memory', 'amqp', 'redis'], [l.memory, l.amqp, l.redis], [...common, ...cpu, errors]);
  console.log(`Added over the memory bus: RabbitMQ p50 ${number(l.added_us.amqp.p50)} µs, ` +
    `p99 ${number(l.added_us.amqp.p99)} µs; Redis p50 ${number(l.added_us.redis.p50)} µs, ` +
    `p99 ${number(l.added_us.redis.p99)} µs.`);
  console.log(`Brokers: RabbitMQ ${b.rabbitmq}, Redis ${b.redis}.`);

  const runs = ['http_direct', 'http_through_herald', 'amqp_direct', 'amqp_through_herald'];
  for (const a of [result.actions.one_client, result.actions.many_clients]) {
    table(`Actions answered by the back end, ${a.clients} client(s), one action in flight each`,
      ['HTTP direct', 'HTTP herald', 'amqp direct', 'amqp herald'], runs.map((name) => a[name]), [
        ['actions/s', (r) => number(r.per_s)],
        ['round trip p50 µs', (r) => number(r.p50_us)],
        ['round trip p99 µs', (r) => number(r.p99_us)],
        ['errors', (r) => r.errors],
      ]);
    console.log(`Herald adds at p50 ${number(a.added_http.p50_us)} µs over HTTP, ` +
      `${number(a.added_amqp.p50_us)} µs over RabbitMQ (target: at most 1,000 µs).`);
  }
  const d = result.addressing;
  const scenarios = Object.keys(d).filter((k) => typeof d[k] === 'object');
  console.log(`\nAddressed events: ${d.sessions} sessions, ${d.senders} HTTP senders with one request in flight each`);
  console.log(''.padEnd(26) + ['sent/s', 'delivered/s', 'p50 µs', 'p99 µs'].map((c) => c.padStart(13)).join(''));
  for (const k of scenarios) {
    const r = d[k];
    console.log(k.padEnd(26) + [r.sent_per_s, r.delivered_per_s, r.latency_us.p50, r.latency_us.p99]
      .map((v) => number(v).padStart(13)).join(''));
  }
}
if (!onlyMonorail) {
  const s = result.sockjs;
  console.log(`\nSockJS xhr-streaming next to plain WebSocket: ${s.sessions} sessions of one topic, batches of ${s.batch} events by HTTP`);
  console.log(''.padEnd(20) + ['published/s', 'deliveries/s'].map((c) => c.padStart(13)).join(''));
  for (const k of ['websocket', 'xhr_streaming']) {
    console.log(k.padEnd(20) + [s[k].published_per_s, s[k].deliveries_per_s].map((v) => number(v).padStart(13)).join(''));
  }
  console.log(`xhr-streaming / WebSocket deliveries: ${s.ratio}`);
}
// What the rest of the machine used during a measurement lowers its figures.
const disturbed = [];
const check = (name, r) => {
  if (r && r.cpu_cores.others > 0.15) disturbed.push(`${name} (${r.cpu_cores.others.toFixed(2)} cores)`);
};
if (!onlyMonorail) {
  check('memory flat out, herald', flat.herald);
  check('memory flat out, ws peer', flat.ws_peer);
  check('memory fixed rate, herald', fixed.herald);
  check('memory fixed rate, ws peer', fixed.ws_peer);
}
if (result.monorail) {
  check('MonoRail fan-out, myxi', result.monorail.fan_out.myxi);
  check('MonoRail fan-out, monorail through the store', result.monorail.fan_out.monorail);
  check('MonoRail fan-out, monorail published', result.monorail.fan_out.monorail_published);
  printMonorail(result.monorail, table, common, cpu, errors, number);
}
if (b) {
  for (const bus of ['amqp', 'redis']) {
    check(`ingest, herald on ${bus}`, b.ingest[bus].herald);
    check(`ingest, bare ${bus}`, b.ingest[bus].bare);
    check(`fan-out, herald on ${bus}`, b.fan_out[bus].herald);
  }
  for (const bus of ['memory', 'amqp', 'redis']) check(`latency, herald on ${bus}`, b.latency[bus]);
}
if (disturbed.length > 0) {
  console.log(`\nWarning: other processes used the machine during: ${disturbed.join(', ')}. ` +
    'Their figures are low; run again on a quiet machine.');
}
console.log(`\nResults: ${resultsFile}`);
