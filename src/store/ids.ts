/**
 * Server-assigned logical ids: UUID version 7 (RFC 9562), time-ordered. Consecutive ids sort
 * together, so new documents and their index entries land at the end of the B-tree runs they
 * join instead of at random places: far fewer pages change per commit.
 */
import crypto from 'node:crypto';

let lastMs = 0;
let seq = 0;

export function newResourceId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    seq = crypto.randomInt(0, 0x800);
  } else if (++seq > 0xfff) {
    lastMs++;
    seq = 0;
  }
  const b = crypto.randomBytes(16);
  const ms = lastMs;
  b[0] = Math.floor(ms / 2 ** 40) & 0xff;
  b[1] = Math.floor(ms / 2 ** 32) & 0xff;
  b[2] = (ms >>> 24) & 0xff;
  b[3] = (ms >>> 16) & 0xff;
  b[4] = (ms >>> 8) & 0xff;
  b[5] = ms & 0xff;
  b[6] = 0x70 | ((seq >>> 8) & 0x0f); // version 7 + 12-bit sequence (monotonic within a ms)
  b[7] = seq & 0xff;
  b[8] = 0x80 | (b[8] & 0x3f); // RFC 4122 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
