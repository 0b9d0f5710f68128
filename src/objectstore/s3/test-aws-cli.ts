import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import type { TestGateway } from './test-gateway.js';

const run = promisify(execFile);

/** The aws cli bound to a `stratus up` gateway's endpoint, credentials and config files. */
export interface AwsCli {
  /** Runs `aws --endpoint-url URL …args`; resolves with stdout. */
  cli: (...args: string[]) => Promise<string>;
  /** Runs it expecting a failure whose stderr names `code`. */
  fails: (code: string, ...args: string[]) => Promise<void>;
}

/**
 * The aws cli (Debian's /usr/bin/aws) for a gateway started by `startUpGateway` (which writes
 * s3-credentials and s3-config into `g.dir`); undefined, with the test skipped, when it is not
 * installed (a failure under CI=true).
 */
export function awsCliFor(t: TestContext, g: TestGateway): AwsCli | undefined {
  if (!existsSync('/usr/bin/aws')) {
    if (process.env.CI === 'true') assert.fail('/usr/bin/aws is required under CI');
    t.skip('/usr/bin/aws is not installed');
    return undefined;
  }
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: g.dir,
    AWS_SHARED_CREDENTIALS_FILE: join(g.dir, 's3-credentials'),
    AWS_CONFIG_FILE: join(g.dir, 's3-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  const cli = async (...args: string[]): Promise<string> =>
    (
      await run('/usr/bin/aws', ['--endpoint-url', g.url, ...args], {
        env,
        timeout: 120_000,
        maxBuffer: 16 << 20,
      })
    ).stdout;
  return {
    cli,
    fails: async (code, ...args) => {
      await assert.rejects(cli(...args), (e: { stderr?: string }) => {
        assert.match(e.stderr ?? '', new RegExp(code));
        return true;
      });
    },
  };
}
