/** The images part's test support, for other parts' tests (the layering lets them import only this). */
export { buildBusyboxImage, prepareBusybox, BUSYBOX_EXAMPLE } from './testing/busybox-context.js';
export { ChrootBuildRunner } from './testing/chroot-build-runner.js';
export { writeDockerSave, tarFolder, sha256 } from './testing/image-fixtures.js';
export { RegistryProcess, registryAvailable } from './testing/registry-process.js';
export { TokenServer } from './testing/token-server.js';
