# Prints, unbuffered, one line per DHCP message and per ARP request seen on any interface of the
# network namespace it runs in: "<ifname> in|out <DISCOVER|OFFER|REQUEST|ACK|...> <client-mac>"
# and "<ifname> in|out ARP who-has <ip> tell <ip>", after "ready" once it listens. Seeing both the
# guest's tap and the bridge tells a DISCOVER the guest sent from one the bridge let through.
# bench/network.mjs runs it with `ip netns exec` and times the lines as they arrive. Python
# because Node has no AF_PACKET sockets.
import socket, struct

TYPES = {1: 'DISCOVER', 2: 'OFFER', 3: 'REQUEST', 4: 'DECLINE', 5: 'ACK', 6: 'NAK', 7: 'RELEASE', 8: 'INFORM'}
PACKET_OUTGOING = 4
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
print('ready', flush=True)
mac = lambda b: ':'.join('%02x' % x for x in b)


def dhcp_kind(f, bootp):
    opts = bootp + 240
    if len(f) < opts or f[bootp + 236:opts] != b'\x63\x82\x53\x63':
        return None
    i = opts
    while i + 1 < len(f) and f[i] != 255:
        if f[i] == 0:
            i += 1
            continue
        if f[i] == 53 and i + 2 < len(f):
            return TYPES.get(f[i + 2], str(f[i + 2]))
        i += 2 + f[i + 1]
    return None


while True:
    f, addr = s.recvfrom(65535)
    where = '%s %s' % (addr[0], 'out' if addr[2] == PACKET_OUTGOING else 'in')
    if len(f) < 42:
        continue
    etype = struct.unpack('!H', f[12:14])[0]
    if etype == 0x0806 and struct.unpack('!H', f[20:22])[0] == 1:
        print('%s ARP who-has %s tell %s' % (where, socket.inet_ntoa(f[38:42]), socket.inet_ntoa(f[28:32])), flush=True)
        continue
    if etype != 0x0800 or f[23] != 17:
        continue
    ip = 14 + (f[14] & 15) * 4
    if set(struct.unpack('!HH', f[ip:ip + 4])) != {67, 68}:
        continue
    kind = dhcp_kind(f, ip + 8)
    if kind is not None:
        print('%s %s %s' % (where, kind, mac(f[ip + 8 + 28:ip + 8 + 34])), flush=True)
