import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandOf, expandVariables, parseDockerfile, parsePairs, splitWords } from './dockerfile.js';

test('Dockerfiles parse with comments, continuations and both argument forms', () => {
  const file = parseDockerfile(
    '# syntax comment\nFROM scratch\n\ncopy a b /dst/\nRUN echo one \\\n  # inside\n  two\nCMD ["/bin/sh", "-c", "x"]\nENTRYPOINT exec me\n',
  );
  assert.deepEqual(
    file.map((i) => [i.keyword, i.args, i.line]),
    [
      ['FROM', 'scratch', 2],
      ['COPY', 'a b /dst/', 4],
      ['RUN', 'echo one two', 5],
      ['CMD', '["/bin/sh", "-c", "x"]', 8],
      ['ENTRYPOINT', 'exec me', 9],
    ],
  );
  assert.deepEqual(commandOf(file[3]!), ['/bin/sh', '-c', 'x']);
  assert.deepEqual(commandOf(file[4]!), ['/bin/sh', '-c', 'exec me']);
  assert.throws(
    () => parseDockerfile('FROM scratch\nHEALTHCHECK NONE\n'),
    /line 2: unknown or unsupported instruction "HEALTHCHECK"/,
  );
});

test('ENV and LABEL pairs, variables and words', () => {
  const env = new Map([['HOME', '/root']]);
  const expand = (s: string): string => expandVariables(s, env);
  assert.deepEqual(parsePairs({ keyword: 'ENV', args: 'A=1 B="two words" C=$HOME/x', line: 1 }, expand), [
    ['A', '1'],
    ['B', 'two words'],
    ['C', '/root/x'],
  ]);
  assert.deepEqual(parsePairs({ keyword: 'ENV', args: 'PATH /usr/bin:/bin', line: 1 }, expand), [
    ['PATH', '/usr/bin:/bin'],
  ]);
  assert.equal(expandVariables('${NOPE:-d} ${HOME:+set} \\$HOME ${HOME}', env), 'd set $HOME /root');
  assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ['a', 'b c', 'd e', 'f g']);
  assert.throws(() => parsePairs({ keyword: 'LABEL', args: '=x', line: 7 }, expand), /line 7/);
});
