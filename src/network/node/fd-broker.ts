/**
 * The child process behind `duplicateListenSocket`: it receives a listening socket's handle
 * over IPC and sends it back `copies` times. Each copy the parent receives is a new descriptor
 * of the same socket (SCM_RIGHTS), which is how one process gets several descriptors of a
 * listening socket without a native dup(): Node 20 has no SO_REUSEPORT, and a thread that
 * closes its listener must close only its own descriptor.
 */
process.on('message', (message: { copies: number }, handle: { close(): void }) => {
  let left = message.copies;
  const sendNext = (): void => {
    if (left-- === 0) {
      handle.close();
      process.disconnect();
      return;
    }
    process.send?.({}, handle as never, sendNext);
  };
  sendNext();
});
