/**
 * Opening a control socket the way the benches count it: resolved once the server's first
 * message, the `welcome`, arrives; refused upgrades, early closes and silence are errors.
 */
import WebSocket from 'ws';

/** Lifeline's and the bare server's greeting: a JSON `welcome`. */
function isWelcome(data: Buffer): boolean {
  try {
    return (JSON.parse(String(data)) as { type?: string }).type === 'welcome';
  } catch {
    return false;
  }
}

/**
 * Opens `url` and resolves with the socket once greeted; its listeners are removed by then.
 * `isGreeting` tells the expected first message (Colyseus greets with a binary JOIN_ROOM frame).
 */
export function openGreeted(
  url: string,
  timeoutMs: number,
  isGreeting: (data: Buffer) => boolean = isWelcome,
): Promise<WebSocket> {
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
      if (!isGreeting(data as Buffer)) {
        socket.terminate();
        reject(new Error(`first message was ${String(data).slice(0, 200)}`));
        return;
      }
      resolve(socket);
    });
  });
}
