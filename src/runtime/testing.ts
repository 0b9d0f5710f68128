/** The runtime part's test support, for other parts' tests: a host-built image and the runc checks. */
export { buildHostImage, BUSYBOX, type HostImage } from './testing/host-image.js';
export { runcMissing, skipUnlessRunc } from './testing/runc-testing.js';
