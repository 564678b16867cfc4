/**
 * Opening a control socket the way the benches count it: resolved once the server's first
 * message, the `welcome`, arrives; refused upgrades, early closes and silence are errors.
 */
import WebSocket from 'ws';

/** Opens `url` and resolves with the socket once greeted; its listeners are removed by then. */
export function openGreeted(url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no greeting in time'));
    }, timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.terminate();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('unexpected-response', (_req, res) => fail(new Error(`upgrade refused: ${res.statusCode}`)));
    socket.once('close', (code) => fail(new Error(`closed before the greeting (${code})`)));
    socket.once('message', (data) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      const message = JSON.parse(String(data)) as { type?: string };
      if (message.type !== 'welcome') {
        socket.terminate();
        reject(new Error(`first message was ${String(data).slice(0, 200)}`));
        return;
      }
      resolve(socket);
    });
  });
}
