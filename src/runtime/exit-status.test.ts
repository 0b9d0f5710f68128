import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpretExit } from './exit-status.js';

test('the exit file wins; 0 is Completed, other codes Error, 128+n names the signal', () => {
  assert.deepEqual(interpretExit({ exitFileCode: 0, wrapperCode: 0 }), { exitCode: 0, reason: 'Completed' });
  assert.deepEqual(interpretExit({ exitFileCode: 3 }), { exitCode: 3, reason: 'Error' });
  assert.deepEqual(interpretExit({ exitFileCode: 143 }), { exitCode: 143, signal: 15, reason: 'Error' });
});

test('a SIGKILLed wrapper reads 137; an OOM kill reads OOMKilled; no evidence reads Unknown', () => {
  assert.deepEqual(interpretExit({ wrapperSignalled: true }), { exitCode: 137, signal: 9, reason: 'Error' });
  assert.deepEqual(interpretExit({ killed: true }), { exitCode: 137, signal: 9, reason: 'Error' });
  assert.deepEqual(interpretExit({ exitFileCode: 137, oomKilled: true }), {
    exitCode: 137,
    signal: 9,
    reason: 'OOMKilled',
  });
  assert.deepEqual(interpretExit({ wrapperCode: 125 }), { exitCode: 125, reason: 'Error' });
  assert.deepEqual(interpretExit({}), { exitCode: 255, reason: 'Unknown' });
});
