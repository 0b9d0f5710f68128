/**
 * Test support: programs run inside a network namespace with `ip netns exec`, for the pod
 * network and DNS tests. Every process started here is killed by its pid in `close()`.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';

/** Runs a command inside a namespace to its end; resolves with stdout, rejects with stderr. */
export function execInNetns(netns: string, command: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', netns, ...command], { timeout: timeoutMs }, (err, out, errOut) =>
      err
        ? reject(new Error(`${command.join(' ')} in ${netns}: ${errOut.trim() || err.message}`))
        : resolve(out),
    );
  });
}

/** Node inside a namespace: `node -e SCRIPT`, to its end, stdout back. */
export function nodeInNetns(netns: string, script: string): Promise<string> {
  return execInNetns(netns, [process.execPath, '-e', script]);
}

/** A TCP client in the namespace: connects to host:port, returns what the server sent first. */
export function tcpReadInNetns(netns: string, host: string, port: number): Promise<string> {
  return nodeInNetns(
    netns,
    `const s=require('net').connect(${port},${JSON.stringify(host)});let d='';` +
      `s.setTimeout(5000,()=>{console.error('timeout');process.exit(2)});` +
      `s.on('data',(c)=>{d+=c;if(d.includes('\\n')){process.stdout.write(d);s.destroy()}});` +
      `s.on('error',(e)=>{console.error(e.message);process.exit(1)});`,
  );
}

/** A GET from the namespace; resolves with the body. */
export function httpGetInNetns(netns: string, url: string): Promise<string> {
  return nodeInNetns(
    netns,
    `require('http').get(${JSON.stringify(url)},{timeout:5000},(r)=>{let d='';r.on('data',c=>d+=c);` +
      `r.on('end',()=>process.stdout.write(d))}).on('error',(e)=>{console.error(e.message);process.exit(1)})` +
      `.on('timeout',function(){console.error('timeout');process.exit(2)});`,
  );
}

/** A TCP server inside a namespace that greets every connection with `greeting` and a newline. */
export interface NetnsServer {
  readonly pid: number;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens on address:port. */
export function startTcpServerInNetns(netns: string, port: number, greeting: string): Promise<NetnsServer> {
  const child: ChildProcess = spawn(
    'ip',
    [
      'netns',
      'exec',
      netns,
      process.execPath,
      '-e',
      `require('net').createServer((s)=>s.end(${JSON.stringify(greeting + '\n')}))` +
        `.listen(${port},'0.0.0.0',()=>console.log('listening'))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server in ${netns} exited with ${code}`)));
    child.stdout?.once('data', () =>
      resolve({
        pid: child.pid as number,
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      }),
    );
  });
}
