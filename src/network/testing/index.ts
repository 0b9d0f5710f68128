/** The network part's test support other parts' tests use: bounded load and condition waits. */
export { eventually } from './eventually.js';
export { runLoad, type LoadOptions, type LoadResult } from './load.js';
export {
  execInNetns,
  httpGetInNetns,
  nodeInNetns,
  startTcpServerInNetns,
  tcpReadInNetns,
} from './netns-process.js';
