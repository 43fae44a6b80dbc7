// The MonoRail part of `make bench`'s report (bench/report.mjs): the watch fan-out next to
// Myxi's on the same node (two herald-bench --json objects) and the get/query round trips of
// each store next to Myxi's Ping (bench/monorail_bench.mjs --json).

export function monorailResults(read, ratio) {
  const myxi = read('MONORAIL_FANOUT_MYXI');
  const monorail = read('MONORAIL_FANOUT_MONORAIL');
  return {
    fan_out: { myxi, monorail, ratio_deliveries: ratio(monorail.deliveries_per_s, myxi.deliveries_per_s) },
    round_trips: read('MONORAIL_ROUND_TRIPS'),
  };
}

export function printMonorail(m, table, common, cpu, errors, number) {
  const f = m.fan_out;
  table(`MonoRail watchers next to Myxi subscribers: ${f.myxi.connections} each, one node, flat out (window ${f.myxi.window})`,
    ['myxi', 'monorail'], [f.myxi, f.monorail], [
      ...common,
      ['connections/s', (r) => number(r.connections_per_s)],
      ...cpu.filter(([name]) => name !== 'broker cores'), // the memory bus
      errors,
    ]);
  console.log('(Myxi: POST /api/publish; MonoRail: PUT /api/resources/nodes/bench, the store\'s write ' +
    `then on.waterline.) MonoRail delivers ${f.ratio_deliveries}x Myxi's deliveries/s.`);
  const r = m.round_trips;
  console.log(`\nMonoRail get and query: ${r.clients} clients with one request in flight each, ` +
    `${r.documents} documents; the peer: Myxi Ping on the same node`);
  console.log(''.padEnd(22) + ['per s', 'p50 µs', 'p99 µs', 'errors'].map((c) => c.padStart(13)).join(''));
  const row = (name, x) => console.log(name.padEnd(22) +
    [x.per_s, x.p50_us, x.p99_us, x.errors].map((v) => number(v).padStart(13)).join(''));
  for (const [kind, s] of Object.entries(r.stores)) {
    if (s.skipped) {
      console.log(`${kind.padEnd(22)}skipped: ${s.skipped}`);
      continue;
    }
    row(`${kind} get`, s.get);
    row(`${kind} query`, s.query);
  }
  if (r.myxi_ping) row('myxi Ping (peer)', r.myxi_ping);
}
