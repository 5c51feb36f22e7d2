/**
 * A private S3 server for tests and benchmarks: fauxqs's app listening on 127.0.0.1 only, with
 * its in-memory store kept across stop/start (so a test can drop the server mid-transfer and
 * bring it back with the data it had). Controlled by lines on stdin; answers "ok …" on stdout.
 *   start | stop | bucket <name> | corrupt <bucket> <key> | count <bucket> | keys <bucket>
 * Access key ids: "mlptest" may do everything, "readonly" may only read; others are rejected
 * with InvalidAccessKeyId, like AWS does.
 */
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

// The store class is not exported by name: load it from the package's files beside its entry.
const fauxqsDir = path.resolve(path.dirname(new URL(import.meta.resolve('fauxqs')).pathname), '..');
const { buildApp } = await import(pathToFileURL(path.join(fauxqsDir, 'dist/app.js')).href);
const { S3Store } = await import(pathToFileURL(path.join(fauxqsDir, 'dist/s3/s3Store.js')).href);

const s3Store = new S3Store();
let port = Number(process.argv[2] ?? 0);
let app;

function xmlError(reply, status, code, message) {
  reply.status(status).header('content-type', 'application/xml').send(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

async function start() {
  if (app?.server.listening) return; // already up: a second listen would fail and orphan the first
  app = buildApp({ logger: false, stores: { s3Store } });
  app.addHook('onRequest', (request, reply, done) => {
    const auth = String(request.headers.authorization ?? '');
    const keyId = /Credential=([^/]+)\//.exec(auth)?.[1];
    if (keyId !== 'mlptest' && keyId !== 'readonly') return xmlError(reply, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    if (keyId === 'readonly' && !['GET', 'HEAD'].includes(request.method)) return xmlError(reply, 403, 'AccessDenied', 'Access Denied');
    done();
  });
  await app.listen({ port, host: '127.0.0.1' });
  port = app.server.address().port;
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  try {
    if (cmd === 'start') await start();
    else if (cmd === 'stop') await app.close();
    else if (cmd === 'bucket') s3Store.createBucket(a);
    else if (cmd === 'corrupt') {
      const obj = s3Store.getObject(a, b);
      const body = Buffer.from(obj.body);
      body[0] ^= 0xff;
      s3Store.putObject(a, b, body);
    } else if (cmd === 'count') {
      process.stdout.write(`ok ${s3Store.buckets.get(a).size}\n`);
      return;
    } else if (cmd === 'keys') {
      process.stdout.write(`ok ${JSON.stringify([...s3Store.buckets.get(a).keys()])}\n`);
      return;
    }
    process.stdout.write(`ok ${port}\n`);
  } catch (error) {
    process.stdout.write(`error ${String(error?.message ?? error).replace(/\n/g, ' ')}\n`);
  }
});
rl.on('close', () => process.exit(0));
await start();
process.stdout.write(`ok ${port}\n`);
