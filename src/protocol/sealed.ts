// Sealed datagrams: what crosses the network between nodes for membership and heartbeats.
//
//   frame  = header | ciphertext | tag(16)
//   header = "TDM" | version(1) | kind(1) | keyId(8) | nonce(12)            (25 bytes)
//   AES-256-GCM under a key derived (HKDF-SHA256) from the cluster or module key for one purpose;
//   the header is authenticated as additional data. The plaintext is UTF-8 JSON
//   { from, incarnation, seq, body }. A packet that fails any check is dropped with a reason; a
//   different key shows as `unknown-key` (other key id) or `auth-failed`, which the daemon logs
//   once per sender as "different cluster key?".

import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

export const MAGIC = Buffer.from('TDM');
export const VERSION = 1;
const HEADER = 3 + 1 + 1 + 8 + 12;
const TAG = 16;
/** Datagrams stay well below a typical MTU-sized UDP payload limit. */
export const MAX_FRAME = 60_000;

export type FrameKind = 'membership' | 'heartbeat' | 'farm';
const KIND_CODE: Record<FrameKind, number> = { membership: 1, heartbeat: 2, farm: 3 };
const CODE_KIND = new Map(Object.entries(KIND_CODE).map(([k, v]) => [v, k as FrameKind]));

export interface Envelope<T = unknown> {
  readonly from: string;
  readonly incarnation: number;
  readonly seq: number;
  readonly body: T;
  /** Heartbeats: the signature of the sender's applied module configuration (`confinfo`). */
  readonly sig?: string;
}

export type OpenResult<T = unknown> =
  | { readonly ok: true; readonly kind: FrameKind; readonly envelope: Envelope<T> }
  | { readonly ok: false; readonly reason: 'too-short' | 'too-long' | 'bad-magic' | 'unsupported-version' | 'unknown-kind' | 'unknown-key' | 'auth-failed' | 'bad-payload' };

/** A key ready for one purpose: the AES key and the id peers use to tell keys apart. */
export interface SealKey {
  readonly id: Buffer;
  readonly aes: Buffer;
}

/** Derives the key for one purpose (e.g. "membership", "heartbeat:mirror") from a shared secret. */
export function deriveKey(secret: Buffer, purpose: string): SealKey {
  if (secret.length < 16) throw new Error('a cluster or module key must hold at least 16 bytes');
  const aes = Buffer.from(hkdfSync('sha256', secret, Buffer.from('tandem'), Buffer.from(`tandem ${purpose}`), 32));
  const id = createHash('sha256').update(aes).digest().subarray(0, 8);
  return { id, aes };
}

export function seal<T>(key: SealKey, kind: FrameKind, envelope: Envelope<T>, nonce: Buffer = randomBytes(12)): Buffer {
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION, KIND_CODE[kind]]), key.id, nonce]);
  const cipher = createCipheriv('aes-256-gcm', key.aes, nonce);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(Buffer.from(JSON.stringify(envelope), 'utf8')), cipher.final()]);
  const frame = Buffer.concat([header, body, cipher.getAuthTag()]);
  if (frame.length > MAX_FRAME) throw new Error(`a ${kind} frame of ${frame.length} bytes exceeds ${MAX_FRAME}`);
  return frame;
}

/** Opens a frame with any of the given keys (key rotation keeps two). Never throws. */
export function open<T = unknown>(frame: Buffer, keys: readonly SealKey[]): OpenResult<T> {
  if (frame.length < HEADER + TAG) return { ok: false, reason: 'too-short' };
  if (frame.length > MAX_FRAME) return { ok: false, reason: 'too-long' };
  if (!frame.subarray(0, 3).equals(MAGIC)) return { ok: false, reason: 'bad-magic' };
  if (frame[3] !== VERSION) return { ok: false, reason: 'unsupported-version' };
  const kind = CODE_KIND.get(frame[4]);
  if (!kind) return { ok: false, reason: 'unknown-kind' };
  const keyId = frame.subarray(5, 13);
  const key = keys.find((k) => k.id.equals(keyId));
  if (!key) return { ok: false, reason: 'unknown-key' };
  const header = frame.subarray(0, HEADER);
  const nonce = frame.subarray(13, HEADER);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.aes, nonce);
    decipher.setAAD(header);
    decipher.setAuthTag(frame.subarray(frame.length - TAG));
    plain = Buffer.concat([decipher.update(frame.subarray(HEADER, frame.length - TAG)), decipher.final()]);
  } catch {
    return { ok: false, reason: 'auth-failed' };
  }
  let value: unknown;
  try {
    value = JSON.parse(plain.toString('utf8'));
  } catch {
    return { ok: false, reason: 'bad-payload' };
  }
  if (!isEnvelope(value)) return { ok: false, reason: 'bad-payload' };
  return { ok: true, kind, envelope: value as Envelope<T> };
}

function isEnvelope(v: unknown): v is Envelope {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.from === 'string' && e.from.length > 0 && e.from.length <= 63
    && Number.isSafeInteger(e.incarnation) && (e.incarnation as number) >= 0
    && Number.isSafeInteger(e.seq) && (e.seq as number) >= 0 && 'body' in e;
}
