/**
 * A signing worker: receives batches of access-token payloads and answers with the tokens, so
 * the Ed25519 or P-256 signature (about half of a login's main-thread time) runs on another core.
 * Keys arrive as KeyObjects with the first batch that needs them and live only in this thread's
 * memory; `retain` drops the ones the node no longer signs with.
 */
import { parentPort } from 'node:worker_threads';
import { type PayloadSigner, payloadSigner } from './jws.ts';
import type { ToWorker } from './sign-pool.ts';

const port = parentPort;
if (!port) throw new Error('sign-worker.ts runs as a worker thread');

const signers = new Map<string, PayloadSigner>();

port.on('message', (m: ToWorker) => {
  if (m.type === 'retain') {
    for (const kid of signers.keys()) if (!m.kids.includes(kid)) signers.delete(kid);
    return;
  }
  if (m.key) signers.set(m.key.kid, payloadSigner(m.key));
  const signer = signers.get(m.kid);
  // Unreachable while the pool sends each key before its first batch; answered, not thrown,
  // so the pool signs that batch itself instead of losing the worker.
  if (!signer) {
    port.postMessage({ id: m.id, tokens: null });
    return;
  }
  // Payloads are JSON and tokens base64url: neither holds a newline, so one string each way
  // is the cheapest thing to copy between threads.
  port.postMessage({ id: m.id, tokens: m.payloads.split('\n').map(signer).join('\n') });
});
