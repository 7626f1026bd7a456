// The replication connection between the two nodes of a mirror: the primary sends the numbered
// mutation frames (wire.ts) over TLS 1.3 with both nodes' certificates from the cluster CA; the
// secondary applies them in order (apply.ts) and acknowledges each number once applied — for an
// fsync, once the copy is durable. One acknowledgement covers every frame up to its number.
// The primary's send() resolves at that acknowledgement: the FUSE layer answers the application
// only then, which is what makes the replication synchronous.

import { connect as tlsConnect, createServer, type PeerCertificate, type Server, type TLSSocket } from 'node:tls';
import type { NodeCredentials } from '../daemon/pki.js';
import type { Mutation } from '../fuse/passthrough.js';
import type { CopyApplier } from './apply.js';
import { decodeFrame, encodeFrame, FrameSplitter } from './wire.js';

const ACK = 8; // an acknowledgement: the sequence number, u64 little-endian
// The secondary's first acknowledgement, 0, says it accepted the primary: with TLS 1.3 the client's
// handshake completes before the server has judged the client's certificate, so connect() waits
// for this rather than for the handshake.

export interface ReplicaServerOptions {
  readonly credentials: NodeCredentials;
  /** The node allowed to send (the primary): its certificate's CN. */
  readonly primary: string;
  readonly copy: CopyApplier;
  readonly log: (text: string) => void;
}

/** The secondary's end: one primary connection at a time. */
export class ReplicaServer {
  private server: Server | null = null;
  applied = 0n;

  constructor(private readonly o: ReplicaServerOptions) {}

  listen(host: string, port: number): Promise<void> {
    const { credentials: c } = this.o;
    this.server = createServer({ key: c.key, cert: c.cert, ca: c.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (socket) => this.serve(socket));
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
  }

  private serve(socket: TLSSocket): void {
    const cn = socket.getPeerCertificate()?.subject?.CN;
    if (cn !== this.o.primary) {
      this.o.log(`replication connection from ${socket.remoteAddress} refused: its certificate names ${cn ?? 'nobody'}, not the primary ${this.o.primary}`);
      socket.destroy();
      return;
    }
    const splitter = new FrameSplitter();
    socket.write(Buffer.alloc(ACK)); // accepted: acknowledgement 0
    socket.on('data', (chunk: Buffer) => {
      try {
        let last: bigint | null = null;
        for (const body of splitter.push(chunk)) {
          const { seq, mutation } = decodeFrame(body);
          this.o.copy.apply(mutation);
          this.applied = seq;
          last = seq;
        }
        if (last !== null) {
          const ack = Buffer.alloc(ACK);
          ack.writeBigUInt64LE(last);
          socket.write(ack);
        }
      } catch (e) {
        // the copy can no longer follow: the primary sees the connection end and continues alone
        this.o.log(`replication stopped: ${(e as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export interface ReplicaClientOptions {
  readonly credentials: NodeCredentials;
  /** The node expected at the other end (the secondary): its certificate's CN. */
  readonly secondary: string;
  /** The connection ended: every mutation not yet acknowledged was rejected with this reason. */
  readonly onLost: (reason: string) => void;
}

/** The primary's end. */
export class ReplicaClient {
  private socket: TLSSocket | null = null;
  private seq = 0n;
  private readonly waiting: { seq: bigint; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly o: ReplicaClientOptions) {}

  connect(host: string, port: number): Promise<void> {
    const { credentials: c, secondary } = this.o;
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({
        host, port, key: c.key, cert: c.cert, ca: c.ca, minVersion: 'TLSv1.3',
        checkServerIdentity: (_h: string, cert: PeerCertificate) => (cert.subject?.CN === secondary ? undefined : new Error(`the replication peer presents the certificate of "${cert.subject?.CN}", not of ${secondary}`)),
      }, () => socket.setNoDelay(true));
      let acks = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        acks = Buffer.concat([acks, chunk]);
        while (acks.length >= ACK) {
          const upTo = acks.readBigUInt64LE(0);
          acks = acks.subarray(ACK);
          if (!this.socket) { this.socket = socket; resolve(); } // acknowledgement 0: accepted
          while (this.waiting.length && this.waiting[0].seq <= upTo) this.waiting.shift()!.resolve();
        }
      });
      socket.once('error', (e) => { if (!this.socket) reject(e); else this.lost(e.message); });
      socket.once('close', () => {
        if (!this.socket) reject(new Error(`the replica at ${host}:${port} closed the connection before accepting this node (its log says why)`));
        else this.lost('the connection closed');
      });
    });
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  /** Sends one mutation; resolves when the secondary has applied it (and everything before it). */
  send(m: Mutation): Promise<void> {
    if (!this.socket) return Promise.reject(new Error('no replication connection'));
    const seq = ++this.seq;
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ seq, resolve, reject }));
    this.socket.write(encodeFrame(seq, m));
    return done;
  }

  close(): void {
    this.socket?.end();
  }

  private lost(reason: string): void {
    if (!this.socket) return;
    this.socket = null;
    for (const w of this.waiting.splice(0)) w.reject(new Error(reason));
    this.o.onLost(reason);
  }
}
