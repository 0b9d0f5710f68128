import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync, inflateSync, constants } from 'node:zlib';
import {
  FLAG_FIN,
  FrameReader,
  MAX_FRAME,
  SPDY_DICTIONARY,
  SYN_REPLY,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  rstStream,
  synReply,
} from './spdy-frames.js';

describe('SPDY/3.1 frames', () => {
  it('the header dictionary is the 1,423 bytes of SPDY/3, words first, values after', () => {
    assert.equal(SPDY_DICTIONARY.length, 1423);
    assert.deepEqual([...SPDY_DICTIONARY.subarray(0, 11)], [0, 0, 0, 7, ...Buffer.from('options')]);
    assert.equal(Buffer.from(SPDY_DICTIONARY.subarray(-7)).toString(), ',enq=0.');
  });

  it('header blocks round-trip through zlib with the dictionary', () => {
    const headers = new Map([
      ['streamtype', 'data'],
      ['port', '8080'],
      ['requestid', '0'],
    ]);
    const dictionary = Buffer.from(SPDY_DICTIONARY);
    const packed = deflateSync(encodeHeaderBlock(headers), {
      dictionary,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    const back = decodeHeaderBlock(inflateSync(packed, { dictionary, finishFlush: constants.Z_SYNC_FLUSH }));
    assert.deepEqual(back, headers);
    assert.equal(decodeHeaderBlock(new Uint8Array([0, 0, 0, 2, 0, 0, 0, 9])), undefined, 'truncated block');
  });

  it('frames split anywhere are reassembled in order', () => {
    const frames = Buffer.concat([
      dataFrame(1, 0, Buffer.from('hello')),
      synReply(3, new Uint8Array([1, 2, 3])),
      rstStream(5, 1),
      dataFrame(1, FLAG_FIN, new Uint8Array(0)),
    ]);
    for (const cut of [1, 7, 8, 13, 20, frames.length - 1]) {
      const r = new FrameReader();
      const a = r.push(frames.subarray(0, cut));
      const b = r.push(frames.subarray(cut));
      assert.ok(!('error' in a) && !('error' in b));
      const all = [...a, ...b];
      assert.equal(all.length, 4);
      const [d, reply, , fin] = all;
      assert.ok(d !== undefined && !d.control && d.streamId === 1);
      assert.equal(Buffer.from(d.payload).toString(), 'hello');
      assert.ok(reply?.control === true && reply.type === SYN_REPLY);
      assert.ok(fin !== undefined && !fin.control && fin.flags === FLAG_FIN);
    }
  });

  it('refuses another SPDY version and oversized frames', () => {
    const v2 = Buffer.from([0x80, 2, 0, 1, 0, 0, 0, 0]);
    assert.match((new FrameReader().push(v2) as { error: string }).error, /version 2/);
    const huge = Buffer.from([0, 0, 0, 1, 0, 0x20, 0, 0]);
    assert.ok(MAX_FRAME < 0x200000);
    assert.match((new FrameReader().push(huge) as { error: string }).error, /larger/);
  });
});
