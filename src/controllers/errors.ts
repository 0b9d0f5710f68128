import { StratusError } from '../common/stratus-error.js';

/** A controller manager misconfiguration, such as an unknown controller name (`CONTROLLER_UNKNOWN`). */
export class ControllerError extends StratusError {
  constructor(message: string) {
    super('CONTROLLER_UNKNOWN', 400, message);
    this.name = 'ControllerError';
  }
}
