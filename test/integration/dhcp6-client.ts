/**
 * A minimal DHCPv6 client (RFC 8415: Solicit → Advertise → Request → Reply for one IA_NA), run by
 * the network tests inside a namespace where no DHCPv6 client is installed: the test guest's
 * busybox has none (Debian builds it without udhcpc6), nor does a stock Debian 12 host. It asks
 * the real dnsmasq a network runs for an address, as a guest's DHCPv6 client would, and prints
 * the address it was given. Run: node dhcp6-client.js IFACE MAC [HOSTNAME]
 */
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

const SOLICIT = 1, ADVERTISE = 2, REQUEST = 3, REPLY = 7;
const CLIENTID = 1, SERVERID = 2, IA_NA = 3, IAADDR = 5, ELAPSED_TIME = 8, STATUS_CODE = 13, FQDN = 39;

const opt = (code: number, data: Buffer): Buffer => {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(code, 0);
  h.writeUInt16BE(data.length, 2);
  return Buffer.concat([h, data]);
};

function options(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let i = 0; i + 4 <= buf.length;) {
    const code = buf.readUInt16BE(i);
    const len = buf.readUInt16BE(i + 2);
    out.set(code, buf.subarray(i + 4, i + 4 + len));
    i += 4 + len;
  }
  return out;
}

function addressOf(iana: Buffer): string | undefined {
  const a = options(iana.subarray(12)).get(IAADDR);
  if (a === undefined || a.length < 24) return undefined;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(a.readUInt16BE(i).toString(16));
  return words.join(':').replace(/\b(?:0:){2,}/, ':').replace(/^0::/, '::');
}

async function main(): Promise<void> {
  const [iface, mac, hostname] = process.argv.slice(2);
  if (iface === undefined || mac === undefined) throw new Error('usage: dhcp6-client IFACE MAC [HOSTNAME]');
  // DUID-LL (type 3, hardware type 1: Ethernet): dnsmasq reads the MAC back out of it.
  const duid = Buffer.concat([Buffer.from([0, 3, 0, 1]), Buffer.from(mac.split(':').map((x) => parseInt(x, 16)))]);
  const iaid = Buffer.from([0, 0, 0, 1]);
  const sock = createSocket({ type: 'udp6', reuseAddr: true });
  await new Promise<void>((res) => sock.bind(546, '::', () => res()));
  const started = Date.now();
  const send = (type: number, extra: Buffer[]): void => {
    const elapsed = Buffer.alloc(2);
    elapsed.writeUInt16BE(Math.min(0xffff, Math.floor((Date.now() - started) / 10)), 0);
    const fqdn = hostname === undefined ? [] : [opt(FQDN, Buffer.concat([Buffer.from([0, hostname.length]), Buffer.from(hostname), Buffer.from([0])]))];
    const msg = Buffer.concat([Buffer.from([type]), xid, opt(CLIENTID, duid), opt(ELAPSED_TIME, elapsed), ...fqdn, ...extra]);
    sock.send(msg, 547, `ff02::1:2%${iface}`);
  };
  let xid = randomBytes(3);
  const reply = (want: number): Promise<Map<number, Buffer>> => new Promise((resolve) => {
    const onMsg = (m: Buffer): void => {
      if (m[0] !== want || !m.subarray(1, 4).equals(xid)) return;
      sock.off('message', onMsg);
      resolve(options(m.subarray(4)));
    };
    sock.on('message', onMsg);
  });
  // Sent again each second until answered (the interface's link-local address may still be
  // tentative for the first ones); the caller's time-out ends the process if nothing ever comes.
  const exchange = async (type: number, want: number, extra: Buffer[]): Promise<Map<number, Buffer>> => {
    const got = reply(want);
    const timer = setInterval(() => send(type, extra), 1000);
    send(type, extra);
    try {
      return await got;
    } finally {
      clearInterval(timer);
    }
  };
  const ia = opt(IA_NA, Buffer.concat([iaid, Buffer.alloc(8)]));
  const adv = await exchange(SOLICIT, ADVERTISE, [ia]);
  const server = adv.get(SERVERID);
  const offered = adv.get(IA_NA);
  if (server === undefined || offered === undefined) throw new Error(`no address offered (status ${adv.get(STATUS_CODE)?.subarray(2).toString() ?? 'none'})`);
  xid = randomBytes(3);
  const rep = await exchange(REQUEST, REPLY, [opt(SERVERID, server), opt(IA_NA, offered)]);
  const given = rep.get(IA_NA);
  const addr = given === undefined ? undefined : addressOf(given);
  if (addr === undefined) throw new Error(`no address in the reply (status ${rep.get(STATUS_CODE)?.subarray(2).toString() ?? 'none'})`);
  console.log(addr);
  sock.close();
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
