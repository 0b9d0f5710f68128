import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitStatus, frame, parseClientMessage, parseStreamRequest } from './channel-protocol.js';

const V5 = 'v5.channel.k8s.io';

describe('remote command channel protocol', () => {
  it('reads stdin, resize and close messages', () => {
    assert.deepEqual(parseClientMessage(new Uint8Array([0, 104, 105]), V5), {
      kind: 'stdin',
      data: new Uint8Array([104, 105]),
    });
    const resize = Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":91,"Height":33}')]);
    assert.deepEqual(parseClientMessage(resize, V5), { kind: 'resize', cols: 91, rows: 33 });
    assert.deepEqual(parseClientMessage(new Uint8Array([255, 0]), V5), { kind: 'close', channel: 0 });
  });

  it('rejects malformed messages with a reason', () => {
    for (const bad of [
      new Uint8Array([]),
      new Uint8Array([1, 1]), // stdout is the server's
      new Uint8Array([255, 0]), // close does not exist before v5
      Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":-1,"Height":2}')]),
      Buffer.concat([Buffer.from([4]), Buffer.from('not json')]),
    ]) {
      const protocol = bad[0] === 255 ? 'v4.channel.k8s.io' : V5;
      assert.ok('error' in parseClientMessage(bad, protocol), `accepted ${[...bad].join(',')}`);
    }
  });

  it('the exit Status carries a non-zero code as kubectl reads it', () => {
    assert.deepEqual(exitStatus(0, ['true']), { metadata: {}, status: 'Success' });
    const failed = exitStatus(3, ['sh', '-c', 'exit 3']) as { reason: string; details: unknown };
    assert.equal(failed.reason, 'NonZeroExitCode');
    assert.deepEqual(failed.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
    assert.deepEqual([...frame(3, 'x')], [3, 120]);
  });

  it('reads the query kubectl sends; a tty has no stderr', () => {
    const q = new URLSearchParams(
      'command=sh&command=-c&command=echo+hi&stdin=true&stdout=true&stderr=true&tty=true',
    );
    assert.deepEqual(parseStreamRequest(q), {
      command: ['sh', '-c', 'echo hi'],
      stdin: true,
      stdout: true,
      stderr: false,
      tty: true,
    });
  });
});
