// Every reply of a live vireod, for every route, checked against the API description: the
// shapes docs/openapi.json promises are the shapes clients get, errors included.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';
import { ROUTES, SCHEMAS, findRoute } from '../../src/api/routes.js';
import { validate } from '../../src/api/schema.js';
import { TestDaemon, guestXml } from './harness.js';
import { BYTES_MEDIA_TYPE, SPARSE_MEDIA_TYPE, frameHeader } from '../../src/api/volume-stream.js';

describe('API conformance', () => {
  const d = new TestDaemon();
  const covered = new Set<string>();
  const coveredQuery = new Set<string>();

  function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request({ socketPath: d.socket, method, path, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A byte-stream route (vol-upload, vol-download): the raw reply, its JSON when it is JSON. */
  function callBytes(method: string, path: string, type?: string, body?: Buffer): Promise<{ status: number; type: string; bytes: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: d.socket, method, path, headers: type === undefined ? {} : { 'content-type': type, 'content-length': body?.length ?? 0 } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), bytes: Buffer.concat(parts) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Call a byte route; a JSON reply (upload's summary, any error) is checked against its schema. */
  async function checkBytes(method: string, path: string, type?: string, body?: Buffer, wantStatus = 200): Promise<Buffer> {
    const spec = findRoute(method, path.split('?')[0]!);
    assert.ok(spec, `${method} ${path} is in the API description`);
    covered.add(`${spec.method} ${spec.path}`);
    const r = await callBytes(method, path, type, body);
    assert.equal(r.status, wantStatus, `${method} ${path}: HTTP ${r.status} ${r.bytes.toString()}`);
    for (const name of new URLSearchParams(path.split('?')[1] ?? '').keys()) coveredQuery.add(`${spec.id} ${name}`);
    if (r.type.startsWith('application/json')) {
      const schema = r.status >= 400 ? { $ref: '#/components/schemas/Error' } : { $ref: `#/components/schemas/${spec.response}` };
      assert.equal(validate(JSON.parse(r.bytes.toString()), schema, SCHEMAS), undefined, `${method} ${path} reply: ${r.bytes.toString()}`);
    }
    return r.bytes;
  }

  /** Call a route and check the reply against its spec (or the Error schema). */
  async function check(method: string, path: string, body?: unknown, wantStatus: number | number[] = 200): Promise<unknown> {
    const spec = findRoute(method, path.split('?')[0]!);
    assert.ok(spec, `${method} ${path} is in the API description`);
    covered.add(`${spec.method} ${spec.path}`);
    const r = await call(method, path, body);
    // A query parameter counts once the daemon accepted it: a success, or a refusal for another reason.
    const accepted = r.status < 300 || (r.json as { error?: { code?: string } }).error?.code !== 'INVALID_ARG';
    if (accepted) for (const name of new URLSearchParams(path.split('?')[1] ?? '').keys()) coveredQuery.add(`${spec.id} ${name}`);
    assert.ok([wantStatus].flat().includes(r.status), `${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
    const schema = r.status >= 400 ? { $ref: '#/components/schemas/Error' } : spec.shape === 'array'
      ? { type: 'array' as const, items: { $ref: `#/components/schemas/${spec.response}` } } : { $ref: `#/components/schemas/${spec.response}` };
    assert.equal(validate(r.json, schema, SCHEMAS), undefined, `${method} ${path} reply: ${JSON.stringify(r.json)}`);
    return r.json;
  }

  before(() => d.start());
  after(() => d.cleanup());

  // a guest driven through every JSON route
  const step1 = async (): Promise<void> => {
    await check('GET', '/v1/host');
    await check('POST', '/v1/domains', { xml: guestXml('api1') });
    await check('GET', '/v1/domains');
    await check('GET', '/v1/domains/api1');
    await check('GET', '/v1/domains/api1/xml?inactive=1');
    await check('GET', '/v1/domains/api1/xml?security-info=1&update-cpu=1');
    await check('POST', '/v1/domxml-to-native', { format: 'qemu-argv', domain: 'api1' });
    await check('POST', '/v1/domains/api1/autostart', { enabled: true });
    await check('POST', '/v1/domains/api1/autostart', { enabled: false });
    await check('GET', '/v1/domains/api1/devices?inactive=1');
    await check('GET', '/v1/domains/api1/blockinfo');
    await check('GET', '/v1/domains/api1/blockinfo?device=vdz', undefined, 400);
    writeFileSync(`${d.root}/blk.img`, Buffer.alloc(4096));
    const blkDisk = `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${d.root}/blk.img'/><target dev='vda' bus='virtio'/></disk>`;
    await check('POST', '/v1/domains', { xml: guestXml('apiblk', { extraDevices: blkDisk }) });
    await check('GET', '/v1/domains/apiblk/blockinfo?device=vda');
    await check('DELETE', '/v1/domains/apiblk');
    await check('POST', '/v1/domains/api1/description', { title: true, text: 'a title', config: true });
    await check('GET', '/v1/domains/api1/description?title=1');
    await check('GET', '/v1/domains/api1/description?config=1');
    await check('POST', '/v1/domains/api1/metadata', { uri: 'http://example.org/a', key: 'a', xml: '<x>1</x>' });
    await check('GET', '/v1/domains/api1/metadata?uri=http%3A%2F%2Fexample.org%2Fa');
    await check('GET', '/v1/domains/api1/metadata?uri=http%3A%2F%2Fexample.org%2Fa&config=1');
    await check('POST', '/v1/domains/api1/rename', { name: 'api1b' });
    await check('POST', '/v1/domains/api1b/rename', { name: 'api1' });
    await check('GET', '/v1/domains/api1/job', undefined, 409);
    // statistics of a shut-off guest: what its definition says, or libvirt's refusal
    await check('GET', '/v1/domains/api1/ifstats?interface=vnet9', undefined, 409);
    await check('GET', '/v1/domains/api1/blockstats?device=vdz', undefined, 409);
    await check('GET', '/v1/domains/api1/vcpus');
    await check('POST', '/v1/domains/api1/memstats/period', { period: 3, config: true });
    await check('POST', '/v1/domains/api1/start', { paused: true });
    await check('GET', '/v1/domains/api1/job');
    // save, restore, save images and managed save (save.test.ts runs them on a booted guest)
    const img = `${d.root}/api1.save`;
    await check('POST', '/v1/domains/api1/save', { file: img, paused: true });
    const saved = await check('GET', `/v1/save-image/xml?file=${encodeURIComponent(img)}&security-info=1`) as { xml: string };
    await check('POST', '/v1/save-image/define', { file: img, xml: saved.xml, paused: true });
    await check('POST', '/v1/domains/restore', { file: img, paused: true });
    await check('POST', '/v1/domains/restore', { file: img }, 409);
    await check('POST', '/v1/domains/api1/managed-save', { paused: true });
    await check('GET', '/v1/domains/api1/managed-save/xml?security-info=1');
    await check('POST', '/v1/domains/api1/managed-save/define', { xml: saved.xml, paused: true });
    await check('DELETE', '/v1/domains/api1/managed-save');
    await check('POST', '/v1/domains/api1/start', { paused: true, forceBoot: true });
    // dump (dump.test.ts runs every kind on a booted guest)
    await check('POST', '/v1/domains/api1/dump', { file: `${d.root}/api1.core`, memoryOnly: true, format: 'elf' });
    await check('POST', '/v1/domains/api1/dump', { file: `${d.root}/api1.core`, format: 'elf' }, 400);
    // screenshot of a guest without a screen: libvirt's refusal (screenshot.test.ts takes real ones)
    await check('GET', '/v1/domains/api1/screenshot?screen=0', undefined, 409);
    await check('GET', '/v1/host/cpumap');
    await check('GET', '/v1/domains/api1/vcpus');
    await check('GET', '/v1/domains/api1/vcpucount');
    await check('GET', '/v1/domains/api1/vcpucount?guest=1', undefined, 422);
    await check('GET', '/v1/domains/api1/blockstats');
    await check('GET', '/v1/domains/api1/memstats');
    await check('POST', '/v1/domains/api1/memstats/period', { period: 2, live: true });
    await check('GET', '/v1/domains/api1/blockerrors');
    await check('GET', '/v1/domains/api1/cpustats?percpu=1');
    await check('POST', '/v1/domain-stats', { domains: ['api1'], groups: ['state', 'vcpu'] });
    await check('POST', '/v1/domain-stats', { filters: ['running'], enforce: true, backing: true, nowait: true });
    await check('GET', '/v1/domains/api1/tuning');
    await check('POST', '/v1/domains/api1/tuning', { config: true, sched: { cpuShares: 600 }, blkio: { weight: 400 } });
    await check('GET', '/v1/domains/api1/tuning?live=1');
    await check('GET', '/v1/domains/api1/tuning?config=1');
    await check('POST', '/v1/domains/api1/tuning', { live: true, sched: { cpuShares: 700, vcpuQuota: 30000 }, memory: { softLimitKiB: 900000 }, vcpupin: { vcpu: 0, cpuset: '0' }, emulatorpin: '0' });
    await check('GET', '/v1/domains/api1/devices?security-info=1');
    await check('GET', '/v1/domains/api1/description?live=1');
    await check('GET', '/v1/domains/api1/metadata?uri=http%3A%2F%2Fexample.org%2Fa&live=1');
    await check('POST', '/v1/domains/api1/metadata', { uri: 'http://example.org/a', xml: null, config: true });
    await check('GET', '/v1/domains/api1/console?devname=console0');
    await check('POST', '/v1/domains/api1/resume', {});
    await check('POST', '/v1/domains/api1/suspend', {});
    await check('POST', '/v1/domains/api1/resume', {});
    await check('POST', '/v1/domains/api1/reset', {});
    await check('GET', '/v1/domains/api1/console');
    await check('POST', '/v1/domains/api1/reboot', { mode: 'acpi' });
    // Paused, the guest cannot act on the power button: destroy finds it still running.
    await check('POST', '/v1/domains/api1/suspend', {});
    await check('POST', '/v1/domains/api1/shutdown', {});
    await check('POST', '/v1/domains/api1/destroy', { graceful: false });
    await check('POST', '/v1/domains/api1/resume', {}, 409);
    await check('POST', '/v1/domains/create', { xml: guestXml('api2'), paused: true });
    await check('POST', '/v1/domains/api2/destroy', {});
    await check('DELETE', '/v1/domains/api1?keep-tpm=1&managed-save=1');
    await check('POST', '/v1/domains', { xml: guestXml('api3') });
    await check('DELETE', '/v1/domains/api3?nvram=1');
    await check('POST', '/v1/domains', { xml: guestXml('api4') });
    await check('DELETE', '/v1/domains/api4?keep-nvram=1');
  };

  // networks, through every network route that needs no bridge, and domjobabort
  const step2 = async (): Promise<void> => {
    const net = "<network><name>apinet</name><ip address='192.168.150.1' netmask='255.255.255.0'><dhcp><range start='192.168.150.2' end='192.168.150.254'/></dhcp></ip></network>";
    await check('POST', '/v1/networks', { xml: net });
    await check('GET', '/v1/networks');
    await check('GET', '/v1/networks/apinet');
    await check('GET', '/v1/networks/apinet/xml?inactive=1');
    await check('POST', '/v1/networks/apinet/autostart', { enabled: true });
    await check('POST', '/v1/networks/apinet/update', { command: 'add', section: 'ip-dhcp-host', xml: "<host mac='52:54:00:00:00:01' ip='192.168.150.9'/>", config: true });
    // Starting a network makes a bridge: that is for the tests inside a network namespace.
    await check('POST', '/v1/networks/nosuch/start', {}, 404);
    await check('POST', '/v1/networks/apinet/destroy', {}, 409);
    await check('GET', '/v1/networks/apinet/leases?mac=52:54:00:00:00:01');
    await check('POST', '/v1/networks/create', { xml: '<network>' }, 400);
    await check('DELETE', '/v1/networks/apinet');
    await check('POST', '/v1/networks', { xml: net }, 200);
    await check('POST', '/v1/networks', { xml: net.replace('<name>apinet</name>', '<name>apinet</name><uuid>0f0e0d0c-0b0a-4908-8706-050403020100</uuid>') }, 409);
    await check('DELETE', '/v1/networks/apinet');
    // Host interfaces: configs only (starting one changes host devices: iface.test.ts, in a namespace).
    const iface = "<interface type='ethernet' name='apiif0'><mac address='52:54:00:00:a1:01'/></interface>";
    await check('POST', '/v1/interfaces', { xml: iface });
    await check('GET', '/v1/interfaces');
    await check('GET', '/v1/interfaces/apiif0');
    await check('GET', '/v1/interfaces/52:54:00:00:a1:01');
    await check('GET', '/v1/interfaces/apiif0/xml?inactive=1');
    await check('POST', '/v1/interfaces', { xml: '<interface/>' }, 400);
    await check('POST', '/v1/interfaces/apiif0/start', {}, 500);
    await check('POST', '/v1/interfaces/apiif0/destroy', {}, 409);
    await check('POST', '/v1/interfaces/nosuch/bridge', { bridge: 'apibr0', stp: false, delay: 0 }, 404);
    await check('POST', '/v1/interfaces/apiif0/unbridge', {}, 409);
    await check('POST', '/v1/interface-transaction/begin', {});
    await check('DELETE', '/v1/interfaces/apiif0');
    await check('POST', '/v1/interface-transaction/rollback', {});
    await check('POST', '/v1/interface-transaction/commit', {}, 500);
    await check('POST', '/v1/interface-transaction/begin', {});
    await check('POST', '/v1/interface-transaction/commit', {});
    await check('DELETE', '/v1/interfaces/apiif0');
    await check('POST', '/v1/domains', { xml: guestXml('api5') });
    await check('POST', '/v1/domains/api5/job/abort', {}, 409);
    // The NIC routes' real paths run in network.test.ts (a guest on a network needs a namespace).
    await check('GET', '/v1/domains/api5/ifaddr?source=lease', undefined, 409);
    await check('GET', '/v1/domains/api5/link?interface=52:54:00:00:00:09&config=1', undefined, 500);
    await check('POST', '/v1/domains/api5/link', { interface: 'vnet9', state: 'down' }, 409);
    // Device routes on a shut-off guest change its stored definition; the live paths run in hotplug.test.ts.
    const nic = "<interface type='user'><mac address='52:54:00:00:00:0a'/><model type='virtio'/></interface>";
    await check('POST', '/v1/domains/api5/devices/attach', { xml: nic, config: true });
    // NIC limits of the stored definition; the live paths run in iftune.test.ts.
    await check('POST', '/v1/domains/api5/iftune', { iface: '52:54:00:00:00:0a', inbound: { average: 100, peak: 0, burst: 0, floor: 0 }, config: true });
    await check('GET', '/v1/domains/api5/iftune?iface=52:54:00:00:00:0a&config=1');
    await check('GET', '/v1/domains/api5/iftune?iface=52:54:00:00:00:0a&live=1', undefined, 409);
    await check('POST', '/v1/domains/api5/devices/update', { xml: nic.replace('</interface>', "<link state='down'/></interface>") });
    await check('POST', '/v1/domains/api5/devices/detach', { xml: nic, live: true }, 409);
    await check('POST', '/v1/domains/api5/devices/detach', { xml: nic });
    await check('POST', '/v1/domains/api5/devices/detach', { xml: nic }, 404);
    // Memory and vCPU routes on a shut-off guest change its stored definition; the live paths run in memcpu.test.ts.
    await check('POST', '/v1/domains/api5/memory', { kib: 65536 });
    await check('POST', '/v1/domains/api5/memory', { kib: 65536, live: true }, 409);
    await check('POST', '/v1/domains/api5/maxmemory', { kib: 131072, config: true });
    await check('POST', '/v1/domains/api5/vcpus', { count: 2, maximum: true, config: true });
    await check('POST', '/v1/domains/api5/vcpus', { count: 3 }, 400);
    // Disk routes: the live paths run in hotplug-disk.test.ts.
    const disk = "<disk type='file' device='disk'><source file='/var/tmp/api5.img'/><target dev='vdb'/></disk>";
    await check('POST', '/v1/domains/api5/devices/attach', { xml: disk, config: true });
    await check('POST', '/v1/domains/api5/iotune', { disk: 'vdb', values: { write_bytes_sec: 1048576 }, config: true });
    await check('GET', '/v1/domains/api5/iotune?disk=vdb&config=1');
    await check('GET', '/v1/domains/api5/iotune?disk=vdb&live=1', undefined, 409);
    await check('POST', '/v1/domains/api5/devices/detach', { xml: disk });
    await check('POST', '/v1/domains/api5/blockresize', { disk: 'vdb', bytes: 1048576 }, 409);
    await check('POST', '/v1/domains/api5/blockthreshold', { disk: 'vdb', bytes: 1048576 }, 409);
    // I/O thread routes on a shut-off guest change its stored definition; the live paths run in iothreads.test.ts.
    await check('POST', '/v1/domains/api5/iothreads/add', { id: 1, config: true });
    await check('POST', '/v1/domains/api5/iothreads/add', { id: 1 }, 400);
    await check('POST', '/v1/domains/api5/iothreads/pin', { id: 1, cpuset: '0' });
    await check('POST', '/v1/domains/api5/iothreads/set', { id: 1, poolMax: 4 });
    await check('GET', '/v1/domains/api5/iothreads?config=1');
    await check('GET', '/v1/domains/api5/iothreads?live=1', undefined, 409);
    await check('POST', '/v1/domains/api5/iothreads/delete', { id: 1, live: true }, 409);
    await check('POST', '/v1/domains/api5/iothreads/delete', { id: 1 });
    // Snapshot routes on a shut-off guest without disks (metadata only); qcow2 images run in the snapshot golden script.
    const S = '/v1/domains/api5/snapshots';
    await check('POST', S, { xml: '<domainsnapshot><name>c1</name></domainsnapshot>' });
    await check('POST', S, { xml: '<domainsnapshot><name>c2</name></domainsnapshot>' });
    await check('POST', S, { xml: '<domainsnapshot><name>c1</name></domainsnapshot>' }, 500);
    await check('GET', `${S}?roots=1&leaves=1&noLeaves=1&descendants=1&topological=1&internal=1&external=1`);
    await check('GET', `${S}?from=c1`);
    await check('GET', `${S}?from=zz`, undefined, 404);
    await check('GET', `${S}/info?name=c1`);
    await check('GET', `${S}/xml?name=c2`);
    await check('POST', `${S}/current`, { name: 'c1' });
    await check('POST', `${S}/revert`, { name: 'c2' });
    await check('POST', `${S}/delete`, { name: 'c1', children: true, childrenOnly: false, metadata: true });
    await check('POST', `${S}/delete`, { name: 'c1' }, 404);
    await check('POST', S, { xml: '<domainsnapshot><name>c3</name></domainsnapshot>' });
    await check('DELETE', '/v1/domains/api5', undefined, 409);
    await check('DELETE', '/v1/domains/api5?snapshots-metadata=1');
  };

  // storage pools and volumes: a dir pool in the daemon's root
  const stepStorage = async (): Promise<void> => {
    const dir = `${d.root}/apipool`;
    const pool = `<pool type='dir'><name>apipool</name><target><path>${dir}</path></target></pool>`;
    const vol = (name: string): string => `<volume><name>${name}</name><capacity unit='M'>1</capacity><target><format type='qcow2'/></target></volume>`;
    const v = (name: string): string => `/v1/pools/apipool/volumes/${name}`;
    await check('GET', '/v1/pool-capabilities');
    await check('POST', '/v1/pool-sources', { type: 'logical', spec: '<source><name>vireo-no-such-vg</name></source>' });
    await check('POST', '/v1/pool-sources', { type: 'dir' }, 422);
    await check('POST', '/v1/pools', { xml: pool });
    await check('POST', '/v1/pools/apipool/build', {});
    await check('POST', '/v1/pools/apipool/start', { build: false });
    await check('GET', '/v1/pools');
    await check('GET', '/v1/pools/apipool');
    await check('GET', '/v1/pools/apipool/xml?inactive=1');
    await check('POST', '/v1/pools/apipool/autostart', { enabled: true });
    await check('POST', '/v1/pools/apipool/refresh', {});
    await check('POST', '/v1/pools/apipool/volumes', { xml: vol('a.qcow2') });
    await check('POST', '/v1/pools/apipool/volumes', { xml: vol('a.qcow2') }, 409);
    await check('POST', '/v1/pools/apipool/volumes/from', { name: 'b.qcow2', input: 'a.qcow2', inputPool: 'apipool' });
    await check('GET', '/v1/pools/apipool/volumes');
    await check('GET', v('b.qcow2'));
    await check('GET', `/v1/volumes/${encodeURIComponent(`${dir}/b.qcow2`)}`);
    await check('GET', `${v('b.qcow2')}/xml`);
    await check('POST', `${v('b.qcow2')}/resize`, { capacity: 2 * 1024 * 1024 });
    await check('POST', `${v('b.qcow2')}/wipe`, { algorithm: 'zero' });
    // The byte routes: raw bytes at an offset, back again, and the sparse stream both ways.
    await check('POST', '/v1/pools/apipool/volumes', { xml: "<volume><name>r.raw</name><capacity unit='K'>64</capacity><allocation>0</allocation></volume>" });
    await checkBytes('POST', `${v('r.raw')}/upload?offset=4096&length=5`, BYTES_MEDIA_TYPE, Buffer.from('hello'));
    assert.equal((await checkBytes('GET', `${v('r.raw')}/download?offset=4096&length=5`)).toString(), 'hello');
    await checkBytes('POST', `${v('r.raw')}/upload?sparse=1`, SPARSE_MEDIA_TYPE, Buffer.concat([frameHeader('H', 65536), frameHeader('E', 65536)]));
    await checkBytes('GET', `${v('r.raw')}/download?sparse=1`);
    await checkBytes('GET', `${v('nosuch')}/download`, undefined, undefined, 404);
    await check('DELETE', v('r.raw'));
    await check('DELETE', v('b.qcow2'));
    await check('DELETE', v('a.qcow2'));
    await check('GET', v('nosuch'), undefined, 404);
    await check('POST', '/v1/pools/apipool/delete', {}, 409);
    await check('POST', '/v1/pools/apipool/destroy', {});
    await check('POST', '/v1/pools/apipool/delete', {});
    await check('DELETE', '/v1/pools/apipool');
    await check('POST', '/v1/pools/create', { xml: pool, build: true });
    await check('POST', '/v1/pools/apipool/destroy', {});
    await check('GET', '/v1/pools/apipool', undefined, 404);
  };

  // the host routes
  const step3 = async (): Promise<void> => {
    for (const p of ['nodeinfo', 'cpustats', 'cpustats?cpu=0', 'memstats', 'memstats?cell=0', 'freecells', 'maxvcpus?type=qemu',
      'capabilities', 'domcapabilities?virttype=qemu', 'domcapabilities?emulator=%2Fusr%2Fbin%2Fqemu-system-x86_64&arch=x86_64&machine=q35', 'validate']) {
      await check('GET', `/v1/host/${p}`);
    }
    // SMBIOS data is there exactly when sysfs shows it.
    await check('GET', '/v1/host/sysinfo', undefined, existsSync('/sys/class/dmi/id') ? 200 : 422);
    await check('GET', '/v1/host/cpustats?cpu=9999', undefined, 400);
    await check('GET', '/v1/host/memory-parameters');
    // An empty change reads only: the host's KSM settings are set in memcpu.test.ts (and restored there).
    await check('POST', '/v1/host/memory-parameters', {});
  };

  // errors have the documented shape and status
  const step4 = async (): Promise<void> => {
    await check('GET', '/v1/domains/nosuch', undefined, 404);
    await check('POST', '/v1/domains', { xml: '<domain>' }, 400);
    await check('POST', '/v1/domains', {}, 400);
    await check('POST', '/v1/domains/nosuch/start', { paused: 'yes' }, 400);
  };

  // query parameters are checked: unknown, malformed and missing ones are INVALID_ARG naming them
  const step5 = async (): Promise<void> => {
    for (const r of ROUTES.filter((x) => x.method !== 'POST' && x.shape !== 'upgrade')) {
      const path = r.path.replace('{ref}', 'nosuch');
      const unknown = await check(r.method, `${path}?bogus=1`, undefined, 400) as { error: { code: string; message: string } };
      assert.equal(unknown.error.code, 'INVALID_ARG');
      assert.match(unknown.error.message, new RegExp(`unknown query parameter 'bogus'; ${r.id.replace('.', '\\.')} takes`), r.id);
      for (const p of r.query ?? []) {
        if (p.type === 'string') continue;
        const bad = await check(r.method, `${path}?${p.name}=yes`, undefined, 400) as { error: { message: string } };
        assert.match(bad.error.message, new RegExp(`query parameter '${p.name}' must be`), `${r.id} ${p.name}`);
      }
    }
    const missing = await check('GET', '/v1/domains/nosuch/metadata', undefined, 400) as { error: { message: string } };
    assert.equal(missing.error.message, "invalid argument: query parameter 'uri' is required by domain.metadata");
  };

  test('every route of the description, every query parameter, as one scenario', async () => {
    await step1();
    await step2();
    await stepStorage();
    await step3();
    await step4();
    await step5();
    const declared = ROUTES.filter((r) => r.shape !== 'ndjson' && r.shape !== 'upgrade').flatMap((r) => (r.query ?? []).map((q) => `${r.id} ${q.name}`));
    assert.deepEqual(declared.filter((q) => !coveredQuery.has(q)), []);
    const json = ROUTES.filter((r) => r.shape !== 'ndjson' && r.shape !== 'upgrade').map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(json.filter((r) => !covered.has(r)), []);
  });
});
