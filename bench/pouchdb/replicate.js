// Bench figure 8: the records Kongsi replicates, replicated by PouchDB.
//
//   node replicate.js DOCS.ndjson      (prints one JSON object)
//
// Two PouchDB servers (express-pouchdb on the in-memory adapter) on
// 127.0.0.1: A in a child process, B in this one. The docs are loaded into A
// over HTTP, then B pulls them from A with PouchDB replication, the replicator
// running on the target as CouchDB's does, which is what Kongsi's fresh node
// does. Only the replication is timed. batch_size is raised from PouchDB's
// default of 100 to 1000 so the comparison is against a tuned peer.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const readline = require('readline');

const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-replication'));
const MemPouch = PouchDB.defaults({ adapter: 'memory' });

const kLoadChunk = 5000;
const kBatchSize = 1000;

// Starts express-pouchdb on an ephemeral port; resolves to the http.Server.
function serve() {
  const app = require('express')();
  app.use('/', require('express-pouchdb')(MemPouch, { mode: 'minimumForPouchDB', inMemoryConfig: true }));
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
    server.on('error', reject);
  });
}

// Server A as a child process: a separate event loop, as a separate node is.
function spawnServerA() {
  const child = spawn(process.execPath, [__filename, '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`server A exited ${code} before it was ready`)));
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      resolve({ child, port: Number(JSON.parse(line).port) });
    });
  });
}

async function readDocs(path) {
  const docs = [];
  const lines = readline.createInterface({ input: fs.createReadStream(path) });
  for await (const line of lines) {
    if (line.trim() !== '') docs.push(JSON.parse(line));
  }
  return docs;
}

function rssMb() {
  return process.memoryUsage().rss / (1 << 20);
}

async function main(path) {
  const docs = await readDocs(path);
  const a = await spawnServerA();
  let serverB = null;
  try {
    serverB = await serve();  // B listens too: a server like A, not just a client
    const source = new PouchDB(`http://127.0.0.1:${a.port}/bench`);
    let start = process.hrtime.bigint();
    for (let i = 0; i < docs.length; i += kLoadChunk) {
      const result = await source.bulkDocs(docs.slice(i, i + kLoadChunk));
      const failed = result.filter((r) => r.error);
      if (failed.length) throw new Error(`loading into A: ${JSON.stringify(failed[0])}`);
    }
    const loadS = Number(process.hrtime.bigint() - start) / 1e9;

    const target = new MemPouch('bench-b');
    start = process.hrtime.bigint();
    const result = await PouchDB.replicate(source, target, { batch_size: kBatchSize });
    const replicateS = Number(process.hrtime.bigint() - start) / 1e9;
    const info = await target.info();
    if (info.doc_count !== docs.length) {
      throw new Error(`B holds ${info.doc_count} docs after replication, expected ${docs.length}`);
    }
    console.log(JSON.stringify({
      docs: docs.length,
      load_s: loadS,
      replicate_s: replicateS,
      docs_per_s: docs.length / replicateS,
      docs_written: result.docs_written,
      rss_mb_b: rssMb(),
      pouchdb: require('pouchdb-core/package.json').version,
    }));
  } finally {
    a.child.kill();
    if (serverB) serverB.close();
  }
}

if (process.argv[2] === '--serve') {
  serve().then((server) => console.log(JSON.stringify({ port: server.address().port })));
} else if (process.argv.length === 3) {
  // Exits explicitly: PouchDB keeps idle HTTP agents that would hold the loop.
  main(process.argv[2]).then(() => process.exit(0), (e) => {
    console.error(`replicate.js: ${e.stack || e}`);
    process.exit(1);
  });
} else {
  console.error('usage: node replicate.js DOCS.ndjson');
  process.exit(2);
}
