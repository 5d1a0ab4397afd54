/**
 * How the client core reaches a daemon. Implementations: node/unix.ts (the UNIX socket, for the
 * CLI) and browser/transport.ts (fetch and WebSocket, for a web UI). `Channel` is what a console
 * attach yields where the transport runs: a Node Duplex, a browser WebSocket.
 */
export interface Transport<Channel> {
  /** One JSON request; a reply with an error body rejects with the VireoError it carries. */
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Follow an event stream: each event's JSON text goes to onEvent. Resolves with the function that stops it. */
  events(path: string, onEvent: (json: string) => void, onEnd: () => void): Promise<() => void>;
  /**
   * A request whose body is a byte stream of `contentType` (`length` bytes when known, else
   * chunked); the reply is JSON. Optional: a transport that cannot stream leaves it out.
   * A chunk of `body` is used only until the chunk after the next one is pulled: a source may
   * read into two buffers in turn (the CLI's file reader does).
   */
  sendBytes?<T>(method: string, path: string, contentType: string, body: AsyncIterable<Uint8Array>, length?: number): Promise<T>;
  /** A GET whose reply is a byte stream; an error reply rejects with its VireoError. */
  receiveBytes?(path: string): Promise<{ contentType: string; length: number | undefined; body: AsyncIterable<Uint8Array> }>;
  /** Attach to a console: bytes both ways. */
  console(path: string): Promise<Channel>;
  close(): void;
}
