// Round trips with one request in flight per client, for the Node benches: `clients` loops of
// `call(i)` for warmup + duration; the rate and latencies of the calls that started after the
// warmup and ended before the end. A call that throws counts as an error.
export async function measureRoundTrips({ clients, warmup, duration, call, what, log }) {
  process.stderr.write(`${log}: ${what}\n`);
  const latencies = [];
  const start = performance.now();
  const measureFrom = start + warmup;
  const end = measureFrom + duration;
  let errors = 0;
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try { await call(i); } catch { errors++; continue; }
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= end) latencies.push(t1 - t0);
    }
  }));
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies.length ? Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] * 1000).toFixed(0)) : null;
  return { per_s: Math.round(latencies.length / (duration / 1000)), p50_us: q(0.5), p99_us: q(0.99), errors };
}
