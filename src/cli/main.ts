/** The `stratus` command line: runs one command with the process's streams and exits with its code. */
import { runCli } from './run-cli.js';

// A reader that stops early (`stratus get pods | head`) is not an error: stop quietly, as
// kubectl and other Unix tools do, instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
