/** Something the controller manager starts and stops: a Controller, the scheduler loop. */
export interface Runnable {
  start(options?: { timeoutMs?: number }): Promise<void>;
  close(): Promise<void>;
}
