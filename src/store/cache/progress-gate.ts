/**
 * Shares progress requests among callers (kube-apiserver batches its etcd progress requests the
 * same way). A caller needs a request that started after it arrived: one in flight may have
 * started before the write the caller saw acknowledged, so the caller joins the next request,
 * which starts when the current one ends and serves everyone who arrived meanwhile.
 */
export class ProgressGate {
  private running: Promise<number> | undefined;
  private queued: Promise<number> | undefined;

  constructor(private readonly request: () => Promise<number>) {}

  /** Resolves with the revision of a request that started after this call. */
  wait(): Promise<number> {
    if (this.running === undefined) return this.start();
    const after = this.running.then(
      () => undefined,
      () => undefined,
    );
    return (this.queued ??= after.then(() => {
      this.queued = undefined;
      return this.start();
    }));
  }

  private start(): Promise<number> {
    const p = this.request();
    this.running = p;
    const clear = (): void => {
      if (this.running === p) this.running = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}
