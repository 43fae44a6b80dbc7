// The MonoRail part of `make bench`'s report (bench/report.mjs): the watch fan-out next to
// Myxi's on the same node config (three herald-bench --json objects: Myxi, MonoRail's changes
// through the store, MonoRail's changes published straight to on.waterline) and the get/query
// round trips of each store next to Myxi's Ping (bench/monorail_bench.mjs --json).

export function monorailResults(read, ratio) {
  const myxi = read('MONORAIL_FANOUT_MYXI');
  const monorail = read('MONORAIL_FANOUT_MONORAIL');
  const published = read('MONORAIL_FANOUT_PUBLISH');
  return {
    fan_out: {
      myxi,
      monorail,
      monorail_published: published,
      ratio_deliveries: ratio(monorail.deliveries_per_s, myxi.deliveries_per_s),
      ratio_published_deliveries: ratio(published.deliveries_per_s, myxi.deliveries_per_s),
    },
    round_trips: read('MONORAIL_ROUND_TRIPS'),
    uptime: process.env.MONORAIL_UPTIME, // the load averages right after the MonoRail part
  };
}

export function printMonorail(m, table, common, cpu, errors, number) {
  const f = m.fan_out;
  table(`MonoRail watchers next to Myxi subscribers: ${f.myxi.connections} each, one node, flat out (window ${f.myxi.window})`,
    ['myxi', 'mr store', 'mr publish'], [f.myxi, f.monorail, f.monorail_published], [
      ...common,
      ['connections/s', (r) => number(r.connections_per_s)],
      ...cpu.filter(([name]) => name !== 'broker cores'), // the memory bus
      errors,
    ]);
  console.log('(Myxi: POST /api/publish; MonoRail store: PUT /api/resources/nodes/bench, the store\'s write ' +
    'then on.waterline; MonoRail publish: POST /api/publish to on.waterline, no store.) ' +
    `MonoRail delivers ${f.ratio_deliveries}x Myxi's deliveries/s through the store, ` +
    `${f.ratio_published_deliveries}x published.`);
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
  if (m.uptime) console.log(`Load after the MonoRail part (uptime): ${m.uptime}`);
}
