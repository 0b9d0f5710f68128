/**
 * The rise/fall rule of active health checks (HAProxy's `rise` and `fall`): an endpoint that is
 * up goes down after `fall` failed checks in a row, one that is down comes up after `rise`
 * passed checks in a row. Endpoints start up: they were ready when they were given to us.
 */
export class HealthState {
  private streak = 0;
  private state: boolean;

  constructor(
    private readonly rise: number,
    private readonly fall: number,
    initiallyUp = true,
  ) {
    this.state = initiallyUp;
  }

  /** True while the endpoint counts as healthy. */
  get up(): boolean {
    return this.state;
  }

  /** Records one check; true when it changed the state. */
  record(passed: boolean): boolean {
    if (passed === this.state) {
      this.streak = 0;
      return false;
    }
    this.streak++;
    if (this.streak < (this.state ? this.fall : this.rise)) return false;
    this.state = passed;
    this.streak = 0;
    return true;
  }
}
