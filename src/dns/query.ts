/**
 * One DNS question to one server over UDP, encoded and decoded with dns-packet: what the
 * delegation probe uses to ask a parent zone's servers directly (not recursively, so the answer
 * is the parent's own view: a referral while the delegation exists), and what the lab's resolver
 * uses to follow referrals.
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import * as packet from 'dns-packet';

export interface DnsReply {
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED, … */
  rcode: string;
  authoritative: boolean;
  answers: packet.Answer[];
  authorities: packet.Answer[];
  additionals: packet.Answer[];
}

/** `"127.0.0.1:5353"`, `"[::1]:53"`, `"10.0.0.2"` or `"::1"` (port 53) → host and port; null when malformed. */
export function parseServer(server: string): { host: string; port: number } | null {
  if (isIP(server) === 6) return { host: server, port: 53 };
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(server) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(server);
  if (!m) return null;
  const host = m[1] as string;
  const port = m[2] === undefined ? 53 : Number(m[2]);
  if (isIP(host) === 0 || port < 1 || port > 65535) return null;
  return { host, port };
}

/**
 * Asks `server` one question. Rejects with an error whose `code` is ETIMEOUT when no answer
 * comes within `timeoutMs`, or EBADRESP when what comes back is not an answer to it.
 */
export function dnsQuery(
  server: string,
  name: string,
  type: packet.RecordType,
  options: { recursive?: boolean; timeoutMs?: number } = {},
): Promise<DnsReply> {
  const to = parseServer(server);
  if (to === null) return Promise.reject(coded('EBADSERVER', `not a DNS server address: ${server}`));
  const id = Math.floor(Math.random() * 65536);
  const query = packet.encode({
    type: 'query',
    id,
    flags: options.recursive === false ? 0 : packet.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
  });
  const socket = createSocket(isIP(to.host) === 6 ? 'udp6' : 'udp4');
  return new Promise<DnsReply>((resolve, reject) => {
    const timer = setTimeout(
      () => done(coded('ETIMEOUT', `no answer from ${server} for ${name}`)),
      options.timeoutMs ?? 2000,
    );
    let finished = false;
    const done = (err: Error | null, reply?: DnsReply) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(reply as DnsReply);
    };
    socket.on('error', (err) => done(err));
    socket.on('message', (msg) => {
      let decoded: packet.DecodedPacket;
      try {
        decoded = packet.decode(msg);
      } catch (err) {
        return done(coded('EBADRESP', `undecodable answer from ${server}`, err));
      }
      // Anything else on this socket is not ours (a late answer, a spoofed one): keep waiting.
      if (decoded.id !== id || decoded.type !== 'response') return;
      done(null, {
        rcode: (decoded as { rcode?: string }).rcode ?? 'NOERROR',
        authoritative: decoded.flag_aa,
        answers: decoded.answers ?? [],
        authorities: decoded.authorities ?? [],
        additionals: decoded.additionals ?? [],
      });
    });
    socket.send(query, to.port, to.host);
  });
}

function coded(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? {} : { cause }), { code });
}
