// One Herald node for a benchmark: started with a config file, on a port of its choosing
// (--port 0), with --threads 1 and, given a core, pinned to it by taskset; resolved once
// /readyz says its bus is connected.
import { spawn } from 'node:child_process';

export async function startHerald(binary, configFile, cpu) {
  const command = [binary, '--config', configFile, '--port', '0', '--bind', '127.0.0.1', '--threads', '1'];
  if (cpu !== undefined) command.unshift('taskset', '-c', String(cpu));
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise((resolve, reject) => {
    const look = (chunk) => {
      output += chunk;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => reject(new Error(`herald exited (${code}): ${output}`)));
  });
  for (let i = 0; i < 300; i++) {
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, stop: () => new Promise((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); }) };
}
