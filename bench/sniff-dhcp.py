# Prints, unbuffered, one line per DHCP message and per ARP request seen on a bridge device:
# "DISCOVER|OFFER|REQUEST|ACK|NAK <client-mac>" and "ARP who-has <ip> tell <ip>", after "ready"
# once it listens. bench/network.mjs runs it inside a network namespace with `ip netns exec`
# and times the lines as they arrive. Python because Node has no AF_PACKET sockets.
import socket, struct, sys

TYPES = {1: 'DISCOVER', 2: 'OFFER', 3: 'REQUEST', 4: 'DECLINE', 5: 'ACK', 6: 'NAK', 7: 'RELEASE', 8: 'INFORM'}
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((sys.argv[1], 0))
print('ready', flush=True)
mac = lambda b: ':'.join('%02x' % x for x in b)
while True:
    f = s.recv(65535)
    if len(f) < 42:
        continue
    etype = struct.unpack('!H', f[12:14])[0]
    if etype == 0x0806 and struct.unpack('!H', f[20:22])[0] == 1:
        print('ARP who-has %s tell %s' % (socket.inet_ntoa(f[38:42]), socket.inet_ntoa(f[28:32])), flush=True)
        continue
    if etype != 0x0800 or f[23] != 17:
        continue
    ip = 14 + (f[14] & 15) * 4
    sport, dport = struct.unpack('!HH', f[ip:ip + 4])
    if {sport, dport} != {67, 68}:
        continue
    bootp = ip + 8
    opts = bootp + 240
    if len(f) < opts or f[bootp + 236:opts] != b'\x63\x82\x53\x63':
        continue
    kind = None
    i = opts
    while i < len(f) and f[i] != 255:
        if f[i] == 0:
            i += 1
            continue
        if i + 1 >= len(f):
            break
        if f[i] == 53 and i + 2 < len(f):
            kind = TYPES.get(f[i + 2], str(f[i + 2]))
        i += 2 + f[i + 1]
    if kind is not None:
        print('%s %s' % (kind, mac(f[bootp + 28:bootp + 34])), flush=True)
