// MonoRail resources on a real PostgreSQL (started by scripts/brokers): documents in a JSONB
// table answer query and get, a row written by another program reaches watchers through the
// documented trigger (LISTEN/NOTIFY), and a slow table answers its client with an error while
// other sessions are served.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startHerald, connectJson } from '../lib/herald.mjs';
import { uniqueName } from '../lib/cluster.mjs';

const url = process.env.HERALD_TEST_POSTGRES_URL;
const trigger = fileURLToPath(new URL('../../docs/sql/herald_documents.sql', import.meta.url));
const psql = (...args) => execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', ...args], { encoding: 'utf8' });
const sql = (text) => psql('-c', text);

describe('MonoRail resources on PostgreSQL', { skip: url ? false : 'HERALD_TEST_POSTGRES_URL is not set (scripts/brokers starts PostgreSQL)' }, () => {
  let node;
  const table = uniqueName('nodes').replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  const slow = `${table}_slow`;
  const channel = `${table}_changes`;
  before(async () => {
    psql('-f', trigger);
    sql(`CREATE TABLE ${table} (id text PRIMARY KEY, document jsonb NOT NULL);
         CREATE TRIGGER herald_documents AFTER INSERT OR UPDATE OR DELETE ON ${table}
           FOR EACH ROW EXECUTE FUNCTION herald_notify('${channel}');
         INSERT INTO ${table} VALUES ('n1', '{"name":"alpha","obm":{"port":623}}'), ('n2', '{"name":"beta","obm":{"port":624}}');
         CREATE VIEW ${slow} AS SELECT id, document FROM ${table} WHERE pg_sleep(3) IS NOT NULL;`);
    node = await startHerald({
      config: `preset = "rackhd"
[stores.pg]
kind = "postgres"
url = "${url}"
listen = "${channel}"
timeout_ms = 1000
[[resources]]
name = "nodes"
store = "pg"
collection = "${table}"
identity = "nodes"
[[resources]]
name = "slow"
store = "pg"
collection = "${slow}"
[[resources]]
name = "skus"
`,
    });
  });
  after(async () => {
    if (node) assert.equal((await node.stop()).code, 0);
    sql(`DROP VIEW IF EXISTS ${slow}; DROP TABLE IF EXISTS ${table};`);
  });

  test('query and get read the JSONB table by equality on nested fields', async () => {
    const client = await connectJson(node, '/nodes', { nameKey: 'handler' });
    client.sendJson({ handler: 'query', params: { 'obm.port': 624 } });
    const list = await client.next('list');
    assert.deepEqual(list.items, [{ id: 'n2', name: 'beta', obm: { port: 624 } }]);
    client.sendJson({ handler: 'get', params: { id: 'n1' } });
    assert.equal((await client.next('item')).data.name, 'alpha');
    await client.close();
  });

  test('a row another program writes reaches a watcher through the documented trigger', async () => {
    const client = await connectJson(node, '/nodes', { nameKey: 'handler' });
    client.sendJson({ handler: 'watch' });
    client.sendJson({ handler: 'init' });
    await client.next('session');
    sql(`INSERT INTO ${table} VALUES ('n3', '{"name":"gamma"}')`);
    assert.deepEqual(await client.next('item'),
      { handler: 'item', resource: 'nodes', id: ['created', 'n3'], data: { id: 'n3', name: 'gamma' } });
    sql(`DELETE FROM ${table} WHERE id = 'n3'`);
    const removed = await client.next('remove');
    assert.equal(removed.id, 'n3');
    assert.equal(removed.data.name, 'gamma');
    await client.close();
  });

  test('a query slower than timeout_ms answers its client with an error, and other sessions are served meanwhile', async () => {
    const waiting = await connectJson(node, '/slow', { nameKey: 'handler' });
    const other = await connectJson(node, '/skus', { nameKey: 'handler' });
    waiting.sendJson({ handler: 'all' });
    other.sendJson({ handler: 'all' });
    // The sqlite resource answers while the postgres store waits on its slow query.
    assert.equal((await other.next('list')).resource, 'skus');
    assert.equal(waiting.received.length, 0);
    const error = await waiting.next('error', 'the slow query\'s error', 10000);
    assert.equal(error.params.error, 'store_unavailable');
    await waiting.close();
    await other.close();
  });
});
