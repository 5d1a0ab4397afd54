/** <graphics> (VNC, SPICE) and <video>. */

import type { Graphics, SpiceOptions, Video, VideoModel } from './domain-model.js';
import { parseAddress } from './domain-parse-address.js';
import { RUNTIME_ONLY } from './domain-parse-util.js';
import type { XNode } from './xml-reader.js';

const LISTEN_ADDRESS = /^[0-9A-Za-z.:%_-]+$/;
const KEYMAP = /^[a-z]{2}(-[a-z]+)?$/;
const VIDEO_MODELS: readonly VideoModel[] = ['vga', 'cirrus', 'virtio', 'qxl', 'bochs', 'none'];
/** libvirt's implicit video model for x86 QEMU guests with graphics but no <video>. */
export const DEFAULT_VIDEO_MODEL: VideoModel = 'cirrus';
/** SPICE sub-elements vireo passes on, with their attribute and values. */
const SPICE_CHILDREN: Record<keyof SpiceOptions, [string, readonly string[]]> = {
  image: ['compression', ['auto_glz', 'auto_lz', 'quic', 'glz', 'lz', 'off']],
  jpeg: ['compression', ['auto', 'never', 'always']],
  zlib: ['compression', ['auto', 'never', 'always']],
  playback: ['compression', ['on', 'off']],
  streaming: ['mode', ['filter', 'all', 'off']],
  copypaste: ['copypaste', ['yes', 'no']],
  mouse: ['mode', ['server', 'client']],
  filetransfer: ['enable', ['yes', 'no']],
};
/** XML element names of SpiceOptions (copypaste is written <clipboard copypaste=...>). */
export const SPICE_ELEMENT: Record<keyof SpiceOptions, string> = {
  image: 'image', jpeg: 'jpeg', zlib: 'zlib', playback: 'playback', streaming: 'streaming',
  copypaste: 'clipboard', mouse: 'mouse', filetransfer: 'filetransfer',
};

/** <graphics>; with `live`, the port an autoport display got is kept (a running guest's XML). */
export function parseGraphics(nodes: XNode[], live = false): Graphics[] {
  const out: Graphics[] = [];
  for (const node of nodes) {
    const g = parseOne(node, live);
    if (out.some((x) => x.type === g.type)) throw node.unsupported(`only one <graphics type='${g.type}'> is supported`);
    out.push(g);
  }
  return out;
}

function parseOne(node: XNode, live: boolean): Graphics {
  const written = node.attr('type');
  if (written === undefined) throw node.invalid("missing attribute 'type'");
  if (written !== 'vnc' && written !== 'spice') {
    throw node.unsupported(`graphics of type '${written}' are not supported; supported: vnc, spice`);
  }
  const type = node.enumAttr('type', ['vnc', 'spice'] as const, 'vnc');
  const spiceChildren = Object.values(SPICE_ELEMENT);
  node.check({
    attrs: type === 'vnc' ? ['type', 'port', 'autoport', 'listen', 'passwd', 'keymap'] : ['type', 'port', 'tlsPort', 'autoport', 'listen', 'passwd', 'keymap'],
    many: ['listen'],
    one: type === 'spice' ? [...spiceChildren, 'gl'] : [],
  });

  const writtenPort = node.intAttr('port', -1, 65535);
  const autoportAttr = node.boolAttr('autoport');
  // libvirt: port -1 or autoport='yes' means "pick a free port at start"; no port at all also does.
  const autoport = autoportAttr ?? (writtenPort === undefined || writtenPort === -1);
  let port = -1;
  if (!autoport) {
    if (writtenPort === undefined || writtenPort === -1) throw node.invalid("autoport='no' needs a port");
    if (type === 'vnc' && writtenPort < 5900) {
      throw node.invalidAttr('port', String(writtenPort), 'a VNC port must be from 5900 to 65535');
    }
    port = writtenPort;
  } else if (live && writtenPort !== undefined && writtenPort > 0) {
    port = writtenPort; // the port a running guest got; a definition picks again at each start
  }

  const listenNodes = node.children('listen');
  if (listenNodes.length > 1) throw (listenNodes[1] as XNode).unsupported('only one <listen> is supported');
  const listenAttr = node.attr('listen');
  let listenChild: string | undefined;
  const listenNode = listenNodes[0];
  if (listenNode !== undefined) {
    if (listenNode.attr('type') === undefined) throw listenNode.invalid("missing attribute 'type'");
    const lt = listenNode.attr('type');
    if (lt !== 'address') throw listenNode.unsupported(`listen type '${lt ?? ''}' is not supported yet; use type='address'`);
    listenNode.check({ attrs: ['type', 'address'] });
    listenChild = listenNode.attr('address');
  }
  if (listenAttr !== undefined && listenChild !== undefined && listenAttr !== listenChild) {
    throw node.invalid(
      `attribute listen='${listenAttr}' must match the address '${listenChild}' of <graphics>/<listen>`,
    );
  }
  const listen = listenChild ?? listenAttr ?? '127.0.0.1';
  if (!LISTEN_ADDRESS.test(listen)) {
    throw node.invalidValue(listen, 'listen address', 'expected an IP address or host name');
  }
  const graphics: Graphics = { type, port, autoport, listen };
  if (type === 'spice') {
    const tls = node.intAttr('tlsPort', -1, 65535);
    if (tls !== undefined && tls !== -1 && tls !== 0) {
      throw node.unsupported('SPICE over TLS (tlsPort) is not supported yet; vireo has no TLS certificates for SPICE');
    }
    if (tls !== undefined) graphics.tlsPort = -1;
    const gl = node.child('gl');
    if (gl !== undefined) {
      gl.check({ attrs: ['enable', 'rendernode'] });
      if (gl.boolAttr('enable') === true) throw gl.unsupported('SPICE OpenGL (<gl enable=\'yes\'>) is not supported');
    }
    const spice: SpiceOptions = {};
    for (const key of Object.keys(SPICE_CHILDREN) as Array<keyof SpiceOptions>) {
      const child = node.child(SPICE_ELEMENT[key]);
      if (child === undefined) continue;
      const [attr, values] = SPICE_CHILDREN[key];
      child.check({ attrs: [attr] });
      const value = child.enumAttr(attr, values) ?? child.requireAttr(attr);
      (spice as Record<string, string>)[key] = value;
    }
    if (Object.keys(spice).length > 0) graphics.spice = spice;
  }
  const passwd = node.attr('passwd');
  if (passwd !== undefined) graphics.passwd = passwd;
  const keymap = node.attr('keymap');
  if (keymap !== undefined) {
    if (!KEYMAP.test(keymap)) throw node.invalidAttr('keymap', keymap, "expected a keymap such as 'en-us' or 'de'");
    graphics.keymap = keymap;
  }
  return graphics;
}

/** libvirt's default video RAM in KiB for a model, when <model vram> is absent. */
function defaultVram(model: VideoModel): number | undefined {
  switch (model) {
    case 'vga':
    case 'cirrus':
    case 'bochs':
      return 16384;
    case 'qxl':
      return 65536;
    default:
      return undefined;
  }
}

/** Fill libvirt's defaults for a video device. */
export function withVideoDefaults(video: Video): Video {
  if (video.model === 'none') return video;
  const out: Video = { ...video };
  out.vram = video.vram ?? defaultVram(video.model);
  if (out.vram === undefined) delete out.vram;
  out.heads = video.heads ?? 1;
  if (video.model === 'qxl') {
    out.ram = video.ram ?? 65536;
    out.vgamem = video.vgamem ?? 16384;
  }
  return out;
}

export function parseVideos(nodes: XNode[]): Video[] {
  const videos: Video[] = [];
  nodes.forEach((node, index) => {
    node.check({ one: ['model', 'address', 'driver'], ignore: RUNTIME_ONLY });
    const driver = node.child('driver');
    if (driver !== undefined) throw driver.unsupported('<video><driver> is not supported yet');
    const modelNode = node.child('model')?.check({ attrs: ['type', 'vram', 'heads', 'primary', 'ram', 'vram64', 'vgamem'], one: ['acceleration'] });
    const model = modelNode?.enumAttr('type', VIDEO_MODELS, DEFAULT_VIDEO_MODEL) ?? DEFAULT_VIDEO_MODEL;
    const video: Video = { model };
    if (modelNode !== undefined) {
      const primary = modelNode.boolAttr('primary');
      if (primary === true && index !== 0) {
        throw modelNode.unsupported("primary='yes' is supported only on the first <video>");
      }
      const vram = modelNode.intAttr('vram', 1, 4294967295);
      const heads = modelNode.intAttr('heads', 1, 16);
      const ram = modelNode.intAttr('ram', 1, 4294967295);
      const vram64 = modelNode.intAttr('vram64', 0, 4294967295);
      const vgamem = modelNode.intAttr('vgamem', 1024, 4294967295);
      if (model === 'none' && (vram !== undefined || heads !== undefined)) {
        throw modelNode.invalid("a video model 'none' takes no vram or heads");
      }
      if ((ram !== undefined || vram64 !== undefined) && model !== 'qxl') throw modelNode.invalid("attributes 'ram' and 'vram64' apply to model 'qxl' only");
      if (vram !== undefined) video.vram = vram;
      if (heads !== undefined) video.heads = heads;
      if (ram !== undefined) video.ram = ram;
      if (vram64 !== undefined) video.vram64 = vram64;
      if (vgamem !== undefined) video.vgamem = vgamem;
      const accel = modelNode.child('acceleration');
      if (accel !== undefined) {
        accel.check({ attrs: ['accel3d', 'accel2d', 'rendernode'] });
        const a3 = accel.boolAttr('accel3d');
        if (a3 === true) throw accel.unsupported('3D acceleration (accel3d) is not supported');
        if (accel.attr('accel2d') !== undefined || accel.attr('rendernode') !== undefined) throw accel.unsupported("only attribute 'accel3d' is supported");
        if (a3 !== undefined) video.accel3d = a3;
      }
    }
    if (model === 'none' && nodes.length > 1) {
      throw node.invalid("a video of model 'none' must be the only <video>");
    }
    if (index > 0 && model !== 'qxl' && model !== 'virtio') {
      throw node.unsupported(`a secondary video must be of model qxl or virtio, not '${model}'`);
    }
    const address = parseAddress(node, ['pci'] as const);
    if (address !== undefined) video.address = address;
    videos.push(withVideoDefaults(video));
  });
  return videos;
}
